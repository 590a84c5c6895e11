import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { SERVER_ADAPTERS, serverAdapter } from "./adapter.ts";

Deno.test("serverAdapter() returns the adapter for a known server_type", () => {
  assertEquals(serverAdapter("llama-server").name, "llama-server");
  assertEquals(Object.keys(SERVER_ADAPTERS), ["llama-server"]);
});

Deno.test("serverAdapter() rejects an unknown server_type listing the known ones", async (t) => {
  for (const type of ["vllm", "", "toString", "__proto__"]) {
    await t.step(JSON.stringify(type), () => {
      const err = assertThrows(() => serverAdapter(type), LlamaPackError);
      assertEquals(err.code, "CONFIG");
      assertEquals(err.message, `unknown server_type: '${type}' (known: llama-server)`);
    });
  }
});
