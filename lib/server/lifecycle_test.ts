import { assertEquals } from "../../tests/assert.ts";
import { nextServerState, type ServerEvent, type ServerState } from "./lifecycle.ts";

Deno.test("nextServerState() follows stopped → starting → ready → stopping → stopped", async (t) => {
  const table: [ServerState, ServerEvent, ServerState | undefined][] = [
    ["stopped", "spawn", "starting"],
    ["stopped", "stop", "stopped"],
    ["stopped", "healthy", undefined],
    ["starting", "healthy", "ready"],
    ["starting", "exit", "stopped"],
    ["starting", "stop", "stopping"],
    ["starting", "spawn", undefined],
    ["ready", "stop", "stopping"],
    ["ready", "exit", "stopped"],
    ["ready", "spawn", undefined],
    ["stopping", "stop", "stopping"],
    ["stopping", "exit", "stopped"],
    ["stopping", "spawn", undefined],
  ];
  for (const [from, event, to] of table) {
    await t.step(`${from} + ${event}`, () => assertEquals(nextServerState(from, event), to));
  }
});
