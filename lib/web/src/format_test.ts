import { assertEquals } from "../../../tests/assert.ts";
import { ago, duration, params, sizeMb, tierFigures, twinHints, usageColor } from "./format.js";

Deno.test("usageColor(): green below 75%, yellow up to 90%, red above, as the guide and the API say", () => {
  assertEquals([50, 74.9, 75, 80, 90, 90.1, 95].map(usageColor), [
    "green",
    "green",
    "yellow",
    "yellow",
    "yellow",
    "red",
    "red",
  ]);
});

Deno.test("duration(): whole minutes and hours read without a zero", () => {
  assertEquals([duration(42), duration(185), duration(300), duration(7200), duration(7800)], [
    "42 s",
    "3 min 5 s",
    "5 min",
    "2 h",
    "2 h 10 min",
  ]);
});

Deno.test("sizeMb(), params(), ago(): what people read", () => {
  assertEquals([sizeMb(812), sizeMb(4812.8), sizeMb(40550), sizeMb(2_000_000)], [
    "812 MB",
    "4.7 GB",
    "40 GB",
    "1.9 TB",
  ]);
  assertEquals([params(8.2e9), params(70.6e9), params(4.7e8), params(null)], [
    "8.2B",
    "71B",
    "470M",
    "—",
  ]);
  assertEquals([ago(null, 100), ago(990, 1000), ago(1000 - 300, 1000), ago(0.5, 86_400 * 3)], [
    "never",
    "just now",
    "5 min ago",
    "3 d ago",
  ]);
});

Deno.test("twinHints(): twins get as much of their folders as tells them apart", () => {
  const hints = twinHints([
    { id: "a", name: "Qwen3-8B-Q4_K_M", path: "/m/hdd/qwen/Qwen3-8B-Q4_K_M.gguf" },
    { id: "b", name: "Qwen3-8B-Q4_K_M", path: "/m/hdd/archive/2024/Qwen3-8B-Q4_K_M.gguf" },
    { id: "c", name: "gemma", path: "/m/hdd/llm/gemma.gguf" },
    { id: "d", name: "x", path: "/m/ssd/same/x.gguf" },
    { id: "e", name: "x", path: "/m/hdd/same/x.gguf" },
  ]);
  assertEquals(Object.fromEntries(hints), {
    a: "…/qwen",
    b: "…/2024",
    c: "",
    d: "…/ssd/same",
    e: "…/hdd/same",
  });
});

Deno.test("tierFigures(): against the limit, or the models and the disk the bar measures", () => {
  assertEquals(
    tierFigures({ limit_gb: 10, used_gb: 5, free_gb: 5, disk_total_gb: 100, disk_free_gb: 60 }),
    "5.0 GB used of 10.0 GB · 5.0 GB free",
  );
  assertEquals(
    tierFigures({
      limit_gb: null,
      used_gb: 85.2,
      free_gb: 68,
      disk_total_gb: 153,
      disk_free_gb: 68,
    }),
    "85.2 GB of models · disk: 68.0 GB free of 153 GB",
  );
  assertEquals(
    tierFigures({
      limit_gb: null,
      used_gb: 0,
      free_gb: 1,
      disk_total_gb: null,
      disk_free_gb: null,
    }),
    "0.0 GB of models · 1.0 GB free",
  );
});
