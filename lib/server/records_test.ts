import { assert, assertEquals } from "../../tests/assert.ts";
import { FAKE_LLAMA_SERVER, freePort, writeFakeModel } from "../../tests/fixtures/fake_server.ts";
import { StateStore } from "../state/store.ts";
import { waitReady } from "./health.ts";
import { spawnServer } from "./spawn_server.ts";
import {
  forgetServer,
  identityFields,
  identityOf,
  pruneServers,
  stopRecordedServer,
} from "./records.ts";

Deno.test("records: prune stale rows, stop live ones and close their use", async () => {
  const dir = await Deno.makeTempDir();
  const store = StateStore.open(dir);
  try {
    const model = await writeFakeModel(`${dir}/m.gguf`);
    const port = freePort();
    const proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
      logPath: `${dir}/log`,
    });
    await waitReady(`http://127.0.0.1:${port}/health`, { timeoutMs: 10_000 });
    const useId = store.recordUse({ modelId: "m", at: 100, tier: "hdd", port });
    const row = {
      host: "127.0.0.1",
      port,
      ...identityFields(proc.identity),
      model_id: "m",
      model_path: model,
      tier: "hdd",
      log_path: `${dir}/log`,
      started_at: 100,
      use_id: useId,
    };
    assertEquals(identityOf(row), proc.identity);
    store.addServer(row);
    store.addServer({ ...row, port: port + 1, pid: proc.identity.pid, start_time: "1" }); // stale: wrong start time

    const checked = pruneServers(store);
    assertEquals(checked.live.map((r) => r.port), [port]);
    assertEquals(checked.pruned.map((r) => r.port), [port + 1]);
    assertEquals(store.servers().map((r) => r.port), [port]);

    // forgetServer() leaves a row that records another process alone.
    forgetServer(store, { ...row, pid: row.pid + 1 });
    assertEquals(store.servers().length, 1);

    const result = await stopRecordedServer(store, row, { now: 160, graceMs: 3_000 });
    assertEquals(result.outcome, "terminated");
    assertEquals(store.servers(), []);
    assertEquals(store.uses("m")[0]?.duration, 60);
    assertEquals((await proc.exited).code, 0);

    // Stopping again changes nothing.
    const again = await stopRecordedServer(store, row, { now: 999 });
    assertEquals(again.outcome, "not-running");
    assertEquals(store.uses("m")[0]?.duration, 60);
    assert(pruneServers(store).live.length === 0);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identityFields() survives the state store: the whole command line comes back", async () => {
  const dir = await Deno.makeTempDir();
  const store = StateStore.open(dir);
  try {
    const cmdline = ["/bin/llama-server", "-m", "/m/x y.gguf", "--alias", "x"];
    store.addServer({
      host: "127.0.0.1",
      port: 8080,
      ...identityFields({ pid: 42, startTime: 7, cmdline }),
      model_id: "x",
      model_path: "/m/x y.gguf",
      tier: "hdd",
      log_path: "/l",
      started_at: 0,
      use_id: null,
    });
    // SQLite text ends at a NUL: a NUL-joined command line came back as the binary alone.
    assertEquals(identityOf(store.servers()[0]!).cmdline, cmdline);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
