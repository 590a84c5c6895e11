import { assertEquals } from "../../tests/assert.ts";
import { availableRoom, countUsesInWindow, type SsdSpace } from "./cache_policy.ts";

Deno.test("availableRoom() is the tighter of free space and the limit", async (t) => {
  const cases: [string, SsdSpace, number][] = [
    ["no limit", { freeBytes: 100, minFreeBytes: 30, cacheUsedBytes: 500 }, 70],
    ["limit binds", { freeBytes: 100, minFreeBytes: 30, limitBytes: 520, cacheUsedBytes: 500 }, 20],
    ["free binds", { freeBytes: 100, minFreeBytes: 30, limitBytes: 900, cacheUsedBytes: 500 }, 70],
    ["below minimum", { freeBytes: 10, minFreeBytes: 30, cacheUsedBytes: 0 }, -20],
  ];
  for (const [name, s, room] of cases) {
    await t.step(name, () => assertEquals(availableRoom(s), room));
  }
});

Deno.test("countUsesInWindow() counts (now − window, now]", () => {
  const now = 1000;
  const uses = [{ at: 900 }, { at: 901 }, { at: 1000 }, { at: 1001 }, { at: 100 }];
  assertEquals(countUsesInWindow(uses, now, 100), 2);
  assertEquals(countUsesInWindow([], now, 100), 0);
});
