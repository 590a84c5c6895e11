import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { FAKE_LLAMA_SERVER, withFake } from "../../tests/fixtures/fake_server.ts";
import { portInUse } from "./port_check.ts";
import { spawnServer } from "./spawn_server.ts";

Deno.test("portInUse() tells a held port from a free one; the fake refuses a busy port", async () => {
  await withFake(async ({ model, dir }) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    try {
      assert(await portInUse("127.0.0.1", port));
      const log = `${dir}/busy.log`;
      const proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
        logPath: log,
      });
      const status = await proc.exited;
      assertEquals(status.code, 1);
      const text = await Deno.readTextFile(log);
      assertStringIncludes(
        text,
        `couldn't bind HTTP server socket, hostname: 127.0.0.1, port: ${port}`,
      );
      assertStringIncludes(text, "exiting due to HTTP server error");
    } finally {
      listener.close();
    }
    assert(!(await portInUse("127.0.0.1", port)));
  });
});
