import { assertEquals } from "../../../tests/assert.ts";
import {
  applyEvent,
  describeEvent,
  EVENT_LIMIT,
  filterRows,
  initialState,
  modelRows,
  reduce,
  sortRows,
} from "./store.js";
import { parseSseBlock } from "./api.js";

const model = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  model_name: id.replace(/\.gguf$/, ""),
  cache_location: "secondary",
  locations: ["secondary"],
  model_size_mb: 1024,
  path: `/hdd/${id}`,
  rank: 0,
  uses: 0,
  last_used: null,
  pinned: false,
  on_ssd: false,
  quant: "Q4_K_M",
  parameters: 8e9,
  ssd: { state: "none", path: null, progress: null },
  status: "unloaded",
  state: "stopped",
  port: null,
  ...over,
});

Deno.test("store: a load, a copy and its end, as api/events tells them, change the row", () => {
  let s = reduce(initialState(), { type: "models", models: [model("a.gguf"), model("b.gguf")] });
  const row = () => modelRows(s).find((r) => r.id === "a.gguf")!;
  assertEquals([row().status, row().where], ["unloaded", "hdd"]);
  const status = (state: string, status: string) => ({
    type: "server_status",
    data: { model_id: "a.gguf", model_name: "a", status, state, port: 8100, tier: "hdd" },
  });
  s = applyEvent(s, status("starting", "loading"), 10);
  assertEquals(row().status, "loading");
  s = applyEvent(s, status("ready", "loaded"), 11);
  assertEquals(row().status, "loaded");
  assertEquals(Object.keys(s.servers), ["a.gguf"]);
  const copy = { job_id: 7, model_id: "a.gguf", model_name: "a", destination: "primary" };
  s = applyEvent(s, { type: "copy_started", data: { ...copy, bytes_total: 100 } }, 12);
  assertEquals([row().where, row().copyPercent], ["copying", 0]);
  s = applyEvent(s, {
    type: "copy_progress",
    data: { ...copy, bytes_done: 42, bytes_total: 100, percent: 42, bytes_per_second: 10 },
  }, 13);
  assertEquals([row().where, row().copyPercent], ["copying", 42]);
  s = applyEvent(s, { type: "copy_finished", data: { ...copy, state: "done", seconds: 2 } }, 14);
  s = reduce(s, {
    type: "models",
    models: [model("a.gguf", { on_ssd: true, locations: ["primary", "secondary"] })],
  });
  assertEquals([row().where, row().copyPercent], ["both", null]);
  s = applyEvent(s, status("stopped", "unloaded"), 15);
  assertEquals(Object.keys(s.servers), []);
  // Progress and stats only update figures; the rest is listed, newest first.
  assertEquals(s.events.map((e: { type: string }) => e.type), [
    "server_status",
    "copy_finished",
    "copy_started",
    "server_status",
    "server_status",
  ]);
});

Deno.test("store: the recent events list keeps the newest EVENT_LIMIT", () => {
  let s = initialState();
  for (let i = 0; i < EVENT_LIMIT + 5; i++) {
    s = applyEvent(
      s,
      { type: "eviction", data: { model_name: `m${i}`, bytes: 0, reason: "x" } },
      i,
    );
  }
  assertEquals(s.events.length, EVENT_LIMIT);
  assertEquals(s.events[0]?.at, EVENT_LIMIT + 4);
});

Deno.test("describeEvent(): a passed-over SSD copy is a warning, a damaged one an error", () => {
  const passed = (problem: string) => ({
    type: "copy_passed_over",
    data: {
      model_name: "a.gguf",
      problem,
      message: `not serving the SSD copy of a.gguf: ${problem}`,
    },
  });
  assertEquals(describeEvent(passed("stale")), {
    text: "not serving the SSD copy of a.gguf: stale",
    level: "warn",
  });
  assertEquals(describeEvent(passed("damaged")).level, "error");
});

Deno.test("sortRows() and filterRows(): by any column, ties by name; every word must match", () => {
  const s = reduce(initialState(), {
    type: "models",
    models: [
      model("b.gguf", { rank: 2, model_size_mb: 10 }),
      model("a.gguf", { rank: 2, model_size_mb: 30, quant: "Q8_0" }),
      model("c.gguf", { rank: 5, model_size_mb: 20 }),
    ],
  });
  const rows = modelRows(s);
  const ids = (r: { id: string }[]) => r.map((x) => x.id);
  assertEquals(ids(sortRows(rows, "rank", -1)), ["c.gguf", "a.gguf", "b.gguf"]);
  assertEquals(ids(sortRows(rows, "sizeMb", 1)), ["b.gguf", "c.gguf", "a.gguf"]);
  assertEquals(ids(filterRows(rows, "q8")), ["a.gguf"]);
  assertEquals(ids(filterRows(rows, "q4 c")), ["c.gguf"]);
});

Deno.test("parseSseBlock(): data lines as JSON, the type from event: or the payload", () => {
  assertEquals(parseSseBlock('data: {"type":"scan","data":{"models":3}}'), {
    type: "scan",
    data: { models: 3 },
  });
  assertEquals(parseSseBlock(": keep-alive"), undefined);
  assertEquals(parseSseBlock('event: x\ndata: {"a":\ndata: 1}'), { type: "x", data: { a: 1 } });
});
