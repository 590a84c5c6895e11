import { assert, assertEquals } from "../../tests/assert.ts";
import fc from "fast-check";
import { ServeScheduler } from "./serve_scheduler.ts";
import type { GrantError, Ticket } from "./serve_effects.ts";
import { idleServers, planSlot } from "./serve_swap.ts";

/** A fake world: records every effect; callers can be marked gone. */
function world(options: { maxRunning?: number; idleUnloadSeconds?: number } = {}) {
  const log: string[] = [];
  const gone = new Set<number>();
  const errors = new Map<number, GrantError>();
  const s = new ServeScheduler({
    startServer: (m, g) => log.push(`start ${m}#${g}`),
    stopServer: (m, g, why) => log.push(`stop ${m}#${g} ${why}`),
    grantServe: (t, g) => {
      if (gone.has(t.id)) return false;
      log.push(`serve ${t.id}@${t.model}#${g}`);
      return true;
    },
    grantError: (t, e) => {
      errors.set(t.id, e);
      log.push(`error ${t.id} ${e.kind}`);
    },
    statusChanged: () => {},
  }, options);
  let id = 0;
  const req = (model: string, now = 0, extra: Partial<Ticket> = {}): Ticket => {
    const t = { id: ++id, model, ...extra };
    s.onRequest(t, now);
    return t;
  };
  const take = () => log.splice(0);
  return { s, log, take, req, gone, errors };
}

Deno.test("ServeScheduler: concurrent requests for a loading model share one start", () => {
  const w = world();
  w.req("a");
  w.req("a");
  w.req("a");
  assertEquals(w.take(), ["start a#1"]);
  assertEquals(w.s.snapshot()[0]?.waiters, 3);
  w.s.onStarted("a", 1, 10);
  assertEquals(w.take(), ["serve 1@a#1", "serve 2@a#1", "serve 3@a#1"]);
  assertEquals(w.s.snapshot()[0]?.inFlight, 3);
});

Deno.test("ServeScheduler: a new model evicts the least recently used idle server first", () => {
  const w = world({ maxRunning: 2 });
  w.req("a", 0);
  w.s.onStarted("a", 1, 1);
  w.req("b", 2);
  w.s.onStarted("b", 2, 3);
  w.s.onServeDone("a", 1, 4); // a last used at 4
  w.s.onServeDone("b", 2, 5); // b last used at 5
  w.take();
  w.req("c", 6);
  // a is the LRU: it stops first; c starts only once a has stopped.
  assertEquals(w.take(), ["stop a#1 evict"]);
  assertEquals(w.s.status("c"), "waiting");
  w.s.onStopped("a", 1, 7);
  assertEquals(w.take(), ["start c#3"]);
  assertEquals(w.s.status("b"), "ready");
});

Deno.test("ServeScheduler: never evicts a server with requests in flight", () => {
  const w = world({ maxRunning: 1 });
  w.req("a", 0);
  w.s.onStarted("a", 1, 1);
  w.take();
  w.req("b", 2);
  assertEquals(w.take(), [], "b waits: a is busy");
  assertEquals(w.s.queued(), 1);
  assert(w.s.snapshot()[0]!.draining, "a takes no new requests while b waits");
  // A new request for a (after b) queues behind b instead of keeping a busy forever.
  w.req("a", 3);
  assertEquals(w.take(), []);
  w.s.onServeDone("a", 1, 4);
  assertEquals(w.take(), ["stop a#1 evict"]);
  w.s.onStopped("a", 1, 5);
  assertEquals(w.take(), ["start b#2"]);
  w.s.onStarted("b", 2, 6);
  assertEquals(w.take(), ["serve 2@b#2"]);
  w.s.onServeDone("b", 2, 7);
  assertEquals(w.take(), ["stop b#2 evict"]);
  w.s.onStopped("b", 2, 8);
  assertEquals(w.take(), ["start a#3"]);
  w.s.onStarted("a", 3, 9);
  assertEquals(w.take(), ["serve 3@a#3"]);
});

Deno.test("ServeScheduler: a failed start answers its waiters and the next request retries", () => {
  const w = world();
  w.req("a");
  w.req("a");
  w.take();
  w.s.onStartFailed("a", 1, { message: "exited with code 1", detail: "bad gguf" }, 2);
  assertEquals(w.take(), ["error 1 start-failed", "error 2 start-failed"]);
  assertEquals(w.errors.get(1), {
    kind: "start-failed",
    model: "a",
    message: "exited with code 1",
    detail: "bad gguf",
  });
  assertEquals(w.s.status("a"), "stopped");
  w.req("a", 3);
  assertEquals(w.take(), ["start a#2"]);
});

Deno.test("ServeScheduler: a caller gone before the grant never counts as in flight", () => {
  const w = world();
  const t = w.req("a");
  w.gone.add(t.id);
  w.s.onStarted("a", 1, 1);
  assertEquals(w.s.snapshot()[0]?.inFlight, 0);
  w.req("b", 2); // a is idle: it may be evicted at once
  assertEquals(w.take(), ["start a#1", "stop a#1 evict"]);
});

Deno.test("ServeScheduler: a cancelled ticket leaves the queue", () => {
  const w = world();
  w.req("a");
  w.s.onStarted("a", 1, 1);
  const b = w.req("b", 2);
  w.s.onCancel(b, 3);
  assertEquals(w.s.queued(), 0);
  assert(!w.s.snapshot()[0]!.draining);
  w.s.onServeDone("a", 1, 4);
  assertEquals(w.take(), ["start a#1", "serve 1@a#1"], "nothing evicted for a gone caller");
});

Deno.test("ServeScheduler: events of an older generation are ignored", () => {
  const w = world();
  w.req("a");
  w.s.onStarted("a", 1, 1);
  w.s.onStopped("a", 1, 2); // crashed with a request in flight
  w.req("a", 3);
  w.s.onStarted("a", 2, 4);
  w.s.onServeDone("a", 1, 5); // the old request ends late
  assertEquals(w.s.snapshot()[0]?.inFlight, 1);
});

Deno.test("ServeScheduler: idle_unload stops idle servers only", () => {
  const w = world({ maxRunning: 3, idleUnloadSeconds: 60 });
  w.req("a", 0);
  w.s.onStarted("a", 1, 0);
  w.s.onServeDone("a", 1, 10);
  w.req("b", 0);
  w.s.onStarted("b", 2, 0); // b keeps its request
  w.take();
  w.s.onTick(69);
  assertEquals(w.take(), []);
  w.s.onTick(70);
  assertEquals(w.take(), ["stop a#1 idle"]);
  w.s.onTick(500);
  assertEquals(w.take(), [], "b is busy, a already stopping");
});

Deno.test("ServeScheduler: unload stops at once and fails the requests waiting for it", () => {
  const w = world();
  w.req("a");
  w.req("a");
  w.take();
  assert(w.s.onUnload("a", 1));
  assertEquals(w.take(), ["error 1 unloaded", "error 2 unloaded", "stop a#1 unload"]);
  w.s.onStopped("a", 1, 2);
  assertEquals(w.s.status("a"), "stopped");
  assert(!w.s.onUnload("a", 3), "nothing left to unload");
});

Deno.test("ServeScheduler: a load ticket starts the model and holds nothing", () => {
  const w = world();
  w.req("a", 0, { loadOnly: true });
  w.s.onStarted("a", 1, 1);
  assertEquals(w.s.snapshot()[0]?.inFlight, 0);
});

Deno.test("ServeScheduler: shutdown refuses the waiting, stops the idle, then stops all", () => {
  const w = world({ maxRunning: 3 });
  w.req("a");
  w.s.onStarted("a", 1, 1); // a busy
  w.req("b");
  w.s.onStarted("b", 2, 1);
  w.s.onServeDone("b", 2, 2); // b idle
  w.req("c"); // c loading
  w.take();
  w.s.onShutdown(3);
  assertEquals(w.take(), ["stop b#2 shutdown", "error 3 shutting-down", "stop c#3 shutdown"]);
  w.req("a", 4);
  assertEquals(w.take(), ["error 4 shutting-down"]);
  w.s.stopAll(5);
  assertEquals(w.take(), ["stop a#1 shutdown"]);
});

Deno.test("planSlot() and idleServers() decide as a table", async (t) => {
  const r = (
    model: string,
    phase: "waiting" | "starting" | "ready" | "stopping",
    inFlight = 0,
    lastUsed = 0,
  ) => ({
    model,
    phase,
    inFlight,
    lastUsed,
  });
  const cases: [string, number, ReturnType<typeof r>[], ReturnType<typeof planSlot>][] = [
    ["empty", 1, [], { kind: "fits", evict: [] }],
    ["room left", 2, [r("a", "ready")], { kind: "fits", evict: [] }],
    ["stopping frees its slot", 1, [r("a", "stopping")], { kind: "fits", evict: [] }],
    ["LRU idle", 1, [r("a", "ready", 0, 9)], { kind: "fits", evict: ["a"] }],
    ["tie by id", 2, [r("b", "ready", 0, 1), r("a", "ready", 0, 1)], {
      kind: "fits",
      evict: ["a"],
    }],
    ["skips busy", 2, [r("a", "ready", 1, 0), r("b", "ready", 0, 5)], {
      kind: "fits",
      evict: ["b"],
    }],
    ["all busy", 1, [r("a", "ready", 2)], { kind: "wait", busy: ["a"] }],
    ["starting holds", 1, [r("a", "starting")], { kind: "wait", busy: [] }],
  ];
  for (const [name, max, servers, want] of cases) {
    await t.step(name, () => assertEquals(planSlot(max, servers), want));
  }
  assertEquals(idleServers([r("a", "ready", 0, 0), r("b", "ready", 1, 0)], 60, 60), ["a"]);
});

Deno.test("ServeScheduler: never more than max_running servers, never evicts a busy one (random events)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom("a", "b", "c", "d")),
        { minLength: 1, maxLength: 80 },
      ),
      (max, steps) => {
        const phases = new Map<string, { gen: number; phase: string }>();
        const inFlight = new Map<string, number>(); // by model#gen
        const stopped: string[] = [];
        const s = new ServeScheduler({
          startServer: (m, g) => phases.set(m, { gen: g, phase: "starting" }),
          stopServer: (m, g, why) => {
            if (why === "evict") {
              assertEquals(inFlight.get(`${m}#${g}`) ?? 0, 0, "evicted a busy server");
            }
            stopped.push(`${m}#${g}`);
          },
          grantServe: (t, g) => {
            inFlight.set(`${t.model}#${g}`, (inFlight.get(`${t.model}#${g}`) ?? 0) + 1);
            return true;
          },
          grantError: () => {},
          statusChanged: () => {},
        }, { maxRunning: max });
        let id = 0;
        let now = 0;
        for (const [op, model] of steps) {
          now++;
          const p = phases.get(model);
          if (op <= 1) s.onRequest({ id: ++id, model }, now);
          else if (op === 2 && p?.phase === "starting") {
            p.phase = "ready";
            s.onStarted(model, p.gen, now);
          } else if (op === 3 && p) {
            const key = `${model}#${p.gen}`;
            if ((inFlight.get(key) ?? 0) > 0) {
              inFlight.set(key, inFlight.get(key)! - 1);
              s.onServeDone(model, p.gen, now);
            }
          } else if (op === 4) {
            const victim = stopped.shift();
            if (victim) {
              const [m, g] = victim.split("#");
              phases.delete(m!);
              s.onStopped(m!, Number(g), now);
            }
          }
          const alive = s.snapshot().filter((e) => e.phase !== "waiting").length;
          assert(alive <= max, `${alive} servers > ${max}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
