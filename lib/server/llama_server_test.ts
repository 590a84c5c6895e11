import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { LLAMA_SERVER_FLAGS, llamaServerAdapter } from "./llama_server.ts";

Deno.test("llamaServerAdapter.buildArgv() builds the full command line", async (t) => {
  const base = { modelPath: "/ssd/m-00001-of-00002.gguf", host: "127.0.0.1", port: 8080 };
  const cases: {
    name: string;
    launch: Parameters<typeof llamaServerAdapter.buildArgv>[0];
    want: string;
  }[] = [
    {
      name: "model, host and port only",
      launch: { ...base, layers: [] },
      want: "-m /ssd/m-00001-of-00002.gguf --host 127.0.0.1 --port 8080",
    },
    {
      name: "mmproj follows the model",
      launch: { ...base, mmprojPath: "/ssd/mmproj.gguf", layers: [] },
      want: "-m /ssd/m-00001-of-00002.gguf --mmproj /ssd/mmproj.gguf --host 127.0.0.1 --port 8080",
    },
    {
      name: "global, stored and run args merge, later wins",
      launch: {
        ...base,
        layers: [
          { label: "global_llama_args", args: ["--ctx-size", "4096", "-ngl", "99", "--jinja"] },
          { label: "stored args", args: ["-c", "8192", "-t", "4"] },
          { label: "-- args", args: ["--n-gpu-layers", "20", "--threads", "2"] },
        ],
      },
      want: "-m /ssd/m-00001-of-00002.gguf --host 127.0.0.1 --port 8080 " +
        "-c 8192 --n-gpu-layers 20 --jinja --threads 2",
    },
    {
      name: "a user --mmproj replaces the detected one in place",
      launch: {
        ...base,
        mmprojPath: "/a.gguf",
        layers: [{ label: "-- args", args: ["-mm", "/b.gguf"] }],
      },
      want: "-m /ssd/m-00001-of-00002.gguf -mm /b.gguf --host 127.0.0.1 --port 8080",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assertEquals(llamaServerAdapter.buildArgv(c.launch).join(" "), c.want);
    });
  }
});

Deno.test("llamaServerAdapter.buildArgv() refuses flags llama-pack sets", async (t) => {
  const cases = [
    {
      args: ["--port", "9000"],
      message: "cannot pass --port in -- args: llama-pack sets the port",
    },
    { args: ["--port=9000"], message: "cannot pass --port in -- args: llama-pack sets the port" },
    {
      args: ["--host", "0.0.0.0"],
      message: "cannot pass --host in -- args: llama-pack sets the host",
    },
    {
      args: ["--model", "x.gguf"],
      message: "cannot pass --model in -- args: llama-pack sets the model",
    },
    {
      args: ["-c", "1", "-m", "x.gguf"],
      message: "cannot pass -m in -- args: llama-pack sets the model",
    },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), () => {
      const err = assertThrows(
        () =>
          llamaServerAdapter.buildArgv({
            modelPath: "/m.gguf",
            host: "127.0.0.1",
            port: 8080,
            layers: [{ label: "-- args", args: c.args }],
          }),
        LlamaPackError,
      );
      assertEquals(err.code, "USAGE");
      assertEquals(err.message, c.message);
    });
  }
});

Deno.test("llamaServerAdapter.healthUrl() connects to a usable address", async (t) => {
  const cases: [string, string][] = [
    ["127.0.0.1", "http://127.0.0.1:8080/health"],
    ["0.0.0.0", "http://127.0.0.1:8080/health"],
    ["::", "http://[::1]:8080/health"],
    ["::1", "http://[::1]:8080/health"],
    ["192.168.1.5,127.0.0.1", "http://192.168.1.5:8080/health"],
    ["localhost", "http://localhost:8080/health"],
  ];
  for (const [host, want] of cases) {
    await t.step(host, () => assertEquals(llamaServerAdapter.healthUrl(host, 8080), want));
  }
});

Deno.test("llamaServerAdapter.interpretHealth() reads /health answers", () => {
  assertEquals(llamaServerAdapter.interpretHealth(200, '{"status":"ok"}'), "ready");
  assertEquals(
    llamaServerAdapter.interpretHealth(
      503,
      '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}',
    ),
    "loading",
  );
  assertEquals(llamaServerAdapter.interpretHealth(500, ""), "unhealthy");
  assertEquals(llamaServerAdapter.interpretHealth(404, ""), "unhealthy");
});

Deno.test("LLAMA_SERVER_FLAGS has no spelling in two groups", () => {
  const seen = new Map<string, string>();
  for (const spec of LLAMA_SERVER_FLAGS) {
    for (const name of spec.names) {
      assertEquals(seen.get(name), undefined, `${name} is in two groups`);
      seen.set(name, spec.names[0] ?? "");
    }
  }
  for (const name of ["-c", "--ctx-size", "-ngl", "--n-gpu-layers", "-mm", "-lm", "-fa", "-np"]) {
    assertEquals(seen.has(name), true, `${name} missing`);
  }
});
