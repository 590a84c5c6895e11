/**
 * `docs/api.md` is true: every curl line in it runs against a real
 * `--serve` (a sandbox whose directories the page calls `/mnt/ssd/models`,
 * `/mnt/hdd/models` and `/mnt/usb/models`, and a fake Hugging Face hub), in
 * the page's order, and what it answers has the documented response's shape
 * (the same keys and types; the same words, names, paths and booleans; the
 * figures of this machine's disks may differ). Every event type of
 * `lib/core/api_events.ts` is documented with an example that a real event
 * of the run matches. `UPDATE_SNAPSHOTS=1` writes the real responses into
 * the page.
 */

import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { API_EVENT_TYPES } from "../lib/core/api_events.ts";
import { api, followEvents, MIB } from "./api_world.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { makeSandbox } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { startFakeHub } from "./fixtures/fake_hub.ts";
import { ggufBytes } from "./fixtures/hub_models.ts";
import { type RunningServe, startServe } from "./serve_fixture.ts";

const DOC = new URL("../docs/api.md", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
const GIB = 1024 ** 3;

/** One curl example: the command and the block after it. */
interface Example {
  command: string;
  lang: string;
  expected: string;
  /** Where the expected block's text is in the page. */
  start: number;
  end: number;
}

/** The page's fenced blocks, in order. */
function blocks(text: string): { lang: string; body: string; start: number; end: number }[] {
  const out = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(text));) {
    const bodyStart = m.index + 3 + m[1]!.length + 1;
    out.push({ lang: m[1]!, body: m[2]!, start: bodyStart, end: bodyStart + m[2]!.length });
  }
  return out;
}

function examples(text: string): Example[] {
  const all = blocks(text);
  const out: Example[] = [];
  all.forEach((b, i) => {
    if (b.lang !== "sh" || !b.body.trimStart().startsWith("curl ")) return;
    const next = all[i + 1];
    assert(next && (next.lang === "json" || next.lang === "text"), `no response after ${b.body}`);
    out.push({
      command: b.body.trim(),
      lang: next.lang,
      expected: next.body,
      start: next.start,
      end: next.end,
    });
  });
  return out;
}

/** The documented event examples: `### \`type\`` then a json block. */
function eventExamples(text: string): Map<string, { body: string; start: number; end: number }> {
  const out = new Map<string, { body: string; start: number; end: number }>();
  const events = text.indexOf("\n## Events");
  assert(events > 0, "docs/api.md has an Events section");
  for (const b of blocks(text)) {
    if (b.start < events || b.lang !== "json") continue;
    const before = text.slice(0, b.start);
    const m = /### `(\w+)`[^#]*$/.exec(before);
    if (m) out.set(m[1]!, b);
  }
  return out;
}

/**
 * Compares a real value with a documented one: the same keys and types,
 * the same booleans, and the same strings where they are words, names or
 * paths (strings with figures or times may differ).
 */
function sameShape(actual: unknown, doc: unknown, at: string, problems: string[]): void {
  if (doc === null || actual === null) {
    if (doc !== actual && !/eta_seconds|last_used|port|tier|progress/.test(at)) {
      problems.push(`${at}: ${JSON.stringify(actual)} where the page has ${JSON.stringify(doc)}`);
    }
    return;
  }
  if (Array.isArray(doc)) {
    if (!Array.isArray(actual)) return void problems.push(`${at}: not an array`);
    if ((doc.length === 0) !== (actual.length === 0)) {
      problems.push(`${at}: ${actual.length} items where the page has ${doc.length}`);
    }
    actual.forEach((a, i) =>
      doc.length > 0 && sameShape(a, doc[Math.min(i, doc.length - 1)], `${at}[${i}]`, problems)
    );
    return;
  }
  if (typeof doc === "object") {
    if (typeof actual !== "object" || Array.isArray(actual)) {
      return void problems.push(`${at}: not an object`);
    }
    const a = Object.keys(actual as object);
    const d = Object.keys(doc as object);
    if (a.join() !== d.join()) {
      problems.push(`${at}: keys ${a.join(",")} where the page has ${d.join(",")}`);
    }
    for (const k of d) {
      if (k in (actual as object)) {
        sameShape(
          (actual as Record<string, unknown>)[k],
          (doc as Record<string, unknown>)[k],
          `${at}.${k}`,
          problems,
        );
      }
    }
    return;
  }
  if (typeof actual !== typeof doc) {
    return void problems.push(`${at}: ${typeof actual} where the page has ${typeof doc}`);
  }
  const stable = typeof doc === "boolean" ||
    (typeof doc === "string" &&
      (!/\d/.test(doc) || /^\/mnt\/|\.gguf$|^[\w.-]+\/[\w.-]+(:\w+)?$/.test(doc)));
  if (stable && actual !== doc) {
    problems.push(`${at}: ${JSON.stringify(actual)} where the page has ${JSON.stringify(doc)}`);
  }
}

/** The sandbox the page describes. */
async function docWorld() {
  const sb = await makeSandbox();
  const custom = join(sb.root, "usb");
  await Deno.mkdir(custom);
  const first = freePort();
  await sb.writeConfig({
    custom_paths: [custom],
    ssd_limit_gb: 100,
    cache: { auto: false },
    serve: { child_ports: `${first}-${first + 40}` },
  });
  // An almost full SSD: a 70B model that lives only there (sparse: it costs no disk).
  await makeLibrary(sb.ssd, {
    "mine/Llama-3.3-70B-Instruct-Q8_0.gguf": { size: 100 * GIB - 24 * MIB, fileType: "Q8_0" },
  });
  await makeLibrary(sb.hdd, {
    "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf": { size: 6 * MIB, architecture: "qwen3" },
    "unsloth/gemma-3-27b-it-GGUF/gemma-3-27b-it-Q4_K_M.gguf": {
      size: 16_546 * MIB,
      architecture: "gemma3",
    },
  });
  await makeLibrary(custom, {
    "microsoft/Phi-4-mini-instruct-GGUF/Phi-4-mini-instruct-Q4_K_M.gguf": { size: 3 * MIB },
  });
  const r = await sb.run(["-u"]);
  assertEquals(r.code, 0, r.stderr);
  const paths: [string, string][] = [
    [custom, "/mnt/usb/models"],
    [sb.ssd, "/mnt/ssd/models"],
    [sb.hdd, "/mnt/hdd/models"],
    [join(sb.root, "config"), "/home/you/.config/llama-pack"],
  ];
  return { sb, paths };
}

Deno.test("docs/api.md: every curl line answers what the page shows, and every event is documented", async () => {
  const text = await Deno.readTextFile(DOC);
  const list = examples(text);
  assert(list.length >= 10, `only ${list.length} curl examples`);
  for (
    const route of [
      "/api/cache/stats",
      "/api/cache/check",
      "/api/cache/recommend",
      "/api/models",
      "/api/cache/refresh",
      "/api/settings",
      "/api/models/pin",
      "/api/events",
    ]
  ) {
    assert(list.some((e) => e.command.includes(route)), `no curl example of ${route}`);
  }
  const documented = eventExamples(text);
  assertEquals([...documented.keys()].sort(), [...API_EVENT_TYPES].sort());

  const hub = await startFakeHub({
    repos: [
      {
        id: "bartowski/Llama-3.2-1B-Instruct-GGUF",
        revisions: {
          main: [{
            path: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            bytes: await ggufBytes("Llama-3.2-1B-Instruct-Q4_K_M.gguf", 3 * 1_000_000),
          }],
        },
      },
      {
        id: "unsloth/Llama-3.3-70B-Instruct-GGUF",
        revisions: {
          main: [{
            path: "Llama-3.3-70B-Instruct-Q4_K_M.gguf",
            bytes: await ggufBytes("Llama-3.3-70B-Instruct-Q4_K_M.gguf", 40 * 1_000_000),
          }],
        },
      },
    ],
  });
  const { sb, paths } = await docWorld();
  let serve: RunningServe | undefined;
  const replaced: { start: number; end: number; body: string }[] = [];
  const problems: string[] = [];
  try {
    serve = await startServe(sb, { env: { HF_ENDPOINT: hub.url } });
    const log = await followEvents(serve);
    const toDoc = (s: string) =>
      paths.reduce((t, [real, doc]) => t.replaceAll(real, doc), s).replaceAll(
        serve!.url,
        "http://localhost:8080",
      );
    const toReal = (s: string) =>
      paths.reduce((t, [real, doc]) => t.replaceAll(doc, real), s).replaceAll(
        "http://localhost:8080",
        serve!.url,
      );
    // A load, so a server's status is among the events.
    assertEquals((await api(serve, "POST", "/models/load", { model: "Phi-4-mini" })).status, 200);
    await log.waitFor((e) => e.type === "server_status" && e.data.status === "loaded");

    for (const ex of list) {
      const stream = /\s-N\b/.test(ex.command);
      const command = toReal(ex.command).replace(/^curl /, stream ? "curl --max-time 2 " : "curl ");
      const out = await new Deno.Command("bash", { args: ["-c", command], stderr: "null" })
        .output();
      const got = toDoc(new TextDecoder().decode(out.stdout));
      if (ex.lang === "json") {
        let actual: Record<string, unknown>;
        try {
          actual = JSON.parse(got);
        } catch {
          problems.push(`${ex.command}: not JSON: ${got.slice(0, 200)}`);
          continue;
        }
        if (UPDATE) {
          replaced.push({
            start: ex.start,
            end: ex.end,
            body: JSON.stringify(actual, null, 2) + "\n",
          });
        } else sameShape(actual, JSON.parse(ex.expected), ex.command.split("\n")[0]!, problems);
        // Let the work a request started finish before the next example.
        if (typeof actual.job_id === "number") {
          await log.waitFor((e) => e.type === "copy_finished" && e.data.job_id === actual.job_id);
        }
        if (typeof actual.download_id === "number") {
          await log.waitFor((e) =>
            e.type === "download_finished" && e.data.download_id === actual.download_id
          );
        }
      } else {
        const messages = got.split("\n\n").filter((m) => m.startsWith("data: ")).map((m) =>
          JSON.parse(m.slice(6))
        );
        assert(messages.length > 0, `${ex.command}: no events`);
        for (const m of messages) {
          assert((API_EVENT_TYPES as readonly string[]).includes(m.type), m.type);
        }
        if (UPDATE) {
          const sample = messages.filter((m) => m.type !== "cache_stats").slice(0, 3);
          replaced.push({
            start: ex.start,
            end: ex.end,
            body: sample.map((m) => `data: ${JSON.stringify(m)}\n`).join("\n"),
          });
        } else {
          for (const line of ex.expected.split("\n").filter((l) => l.startsWith("data: "))) {
            const doc = JSON.parse(line.slice(6));
            const real = messages.find((m) => m.type === doc.type);
            if (real) sameShape(real, doc, `events: ${doc.type}`, problems);
            else problems.push(`${ex.command}: no ${doc.type} event on connecting`);
          }
        }
      }
    }
    // A pass of the monitor, for its events.
    await api(serve, "POST", "/api/cache/refresh");
    // A stale SSD copy passed over: Qwen3-8B copied to the SSD again, its
    // original touched after the copy was verified, then loaded.
    const copy = await api(serve, "POST", "/api/models", {
      model_name: "Qwen3-8B-Q4_K_M",
      cache_location: "primary",
    });
    assertEquals(copy.status, 202, JSON.stringify(copy.body));
    await log.waitFor((e) => e.type === "copy_finished" && e.data.job_id === copy.body.job_id);
    const original = join(sb.hdd, "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
    const { atime, mtime } = await Deno.stat(original);
    await Deno.utime(original, atime!, new Date(mtime!.getTime() + 60_000));
    assertEquals((await api(serve, "POST", "/models/load", { model: "Qwen3-8B" })).status, 200);
    await log.waitFor((e) => e.type === "copy_passed_over");
    await log.close();
    for (const type of API_EVENT_TYPES) {
      const real = log.events.find((e) => e.type === type);
      if (!real) {
        problems.push(`no ${type} event during the run`);
        continue;
      }
      const normalized = JSON.parse(toDoc(JSON.stringify(real)));
      const doc = documented.get(type)!;
      if (UPDATE) {
        replaced.push({
          start: doc.start,
          end: doc.end,
          body: JSON.stringify(normalized, null, 2) + "\n",
        });
      } else sameShape(normalized, JSON.parse(doc.body), `event ${type}`, problems);
    }
  } finally {
    await serve?.stop();
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
    await hub.close();
  }
  if (UPDATE) {
    let out = text;
    for (const r of replaced.sort((a, b) => b.start - a.start)) {
      out = out.slice(0, r.start) + r.body + out.slice(r.end);
    }
    await Deno.writeTextFile(DOC, out);
    await new Deno.Command(Deno.execPath(), { args: ["fmt", DOC.pathname] }).output();
  }
  assertEquals(problems, []);
});
