/**
 * The pid-reuse guard against a real foreign process: its real pid and real
 * start time are forged into a server record, with a llama-server command
 * line it does not have. `-k`, `--killall` and `-m` (replacing a server on
 * its port) must compare the command line and leave it alone.
 */

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { FAKE_LLAMA_SERVER, freePort, seedModels } from "./fixtures/fake_server.ts";
import { readProcStat } from "../lib/server/process_identity.ts";
import { identityFields } from "../lib/server/records.ts";

const alive = (pid: number) => {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== "Z";
};

/** A foreign process leading its own process group, as a server would. */
function foreignProcess(): Deno.ChildProcess {
  return new Deno.Command("sleep", {
    args: ["60"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
}

/** Records `pid` (with its real start time) as the llama-pack server on `port`. */
function forgeRecord(sb: Sandbox, pid: number, port: number): void {
  const startTime = readProcStat(pid)!.startTime;
  withStore(sb, (s) =>
    s.addServer({
      host: "127.0.0.1",
      port,
      ...identityFields({
        pid,
        startTime,
        cmdline: [FAKE_LLAMA_SERVER, "-m", `${sb.hdd}/Gemma2-9B-Q5_K.gguf`, "--port", String(port)],
      }),
      model_id: "Gemma2-9B-Q5_K.gguf",
      model_path: `${sb.hdd}/Gemma2-9B-Q5_K.gguf`,
      tier: "hdd",
      log_path: `${sb.state}/x.log`,
      started_at: 0,
      use_id: null,
    }));
}

Deno.test("a foreign process forged into a server record (real pid and start time) is never signalled", async (t) => {
  const sb = await makeSandbox();
  const fast = { env: { LLAMA_PACK_STOP_GRACE_MS: "300" } };
  try {
    await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
    const cases: Array<[string, (port: number) => string[]]> = [
      ["-k", (port) => ["-k", "-p", String(port)]],
      ["--killall", () => ["--killall"]],
      ["-m on its port", (port) => ["-m", "gemma", "-d", "-p", String(port)]],
    ];
    for (const [name, args] of cases) {
      await t.step(name, async () => {
        const other = foreignProcess();
        try {
          const port = freePort();
          forgeRecord(sb, other.pid, port);
          const r = await sb.run(args(port), fast);
          assert(!r.stderr.includes("stopped the llama-pack server"), r.stderr);
          // Give a signal, had one been sent, time to land.
          await new Promise((res) => setTimeout(res, 300));
          assert(alive(other.pid), `${name} signalled a process llama-pack did not start`);
          const left = withStore(sb, (s) => s.servers().filter((r) => r.pid === other.pid));
          assertEquals(left, [], "the forged record is dropped, not trusted");
          if (name === "-k") assertStringIncludes(r.stderr, "no llama-pack server on port");
        } finally {
          other.kill("SIGKILL");
          await other.status;
          await sb.run(["--killall"], fast);
        }
      });
    }
  } finally {
    await sb.cleanup();
  }
});
