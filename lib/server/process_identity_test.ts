import { assert, assertEquals } from "../../tests/assert.ts";
import { pollUntil } from "../../tests/fixtures/fake_server.ts";
import {
  isSameProcess,
  parseProcStat,
  readProcessIdentity,
  readProcStat,
} from "./process_identity.ts";
import { stopServer } from "./stop_server.ts";

/** The pid written in a file, or 0 while it is missing or empty. */
const readPid = (path: string): number => {
  try {
    return Number(Deno.readTextFileSync(path).trim()) || 0;
  } catch {
    return 0;
  }
};

Deno.test("parseProcStat() reads state, group and start time", async (t) => {
  const cases: [string, string, [string, number, number] | undefined][] = [
    ["plain", "7 (sleep) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0", ["S", 7, 555]],
    ["spaces and parens in name", "9 (a) (b c)) Z 1 3 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0", [
      "Z",
      3,
      42,
    ]],
    ["truncated", "9 (x) S 1 2", undefined],
    ["garbage", "hello", undefined],
  ];
  for (const [name, text, want] of cases) {
    await t.step(name, () => {
      const st = parseProcStat(text);
      assertEquals(st === undefined ? undefined : [st.state, st.pgrp, st.startTime], want);
    });
  }
});

Deno.test("a zombie counts as dead", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // `sleep 0` exits at once; its parent execs `sleep 5`, which never reaps it.
    const parent = new Deno.Command("sh", {
      args: ["-c", `sleep 0 & echo $! > ${dir}/z.pid; exec sleep 5`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const zombie = () => readPid(`${dir}/z.pid`);
      assert(await pollUntil(() => readProcStat(zombie())?.state === "Z", 3_000), "zombie appears");
      const zpid = zombie();
      const stat = readProcStat(zpid)!;
      assertEquals(readProcessIdentity(zpid), undefined);
      const identity = { pid: zpid, startTime: stat.startTime, cmdline: ["sleep", "0"] };
      assert(!isSameProcess(identity));
      assertEquals((await stopServer(identity)).outcome, "not-running");
    } finally {
      parent.kill("SIGKILL");
      await parent.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isSameProcess() holds through exec after exec (the command line reads empty for a moment while a process execs)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A launcher that execs itself 150 times with the same arguments, as the
    // server's gate and a wrapper script exec before the server runs.
    const script = `${dir}/chain.sh`;
    await Deno.writeTextFile(
      script,
      'n=${N:-0}\nif [ "$n" -lt 150 ]; then N=$((n + 1)) exec /bin/sh "$0" "$@"; fi\nsleep 0.3\n',
    );
    const child = new Deno.Command("/bin/sh", {
      args: [script, "-m", "model.gguf"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const stat = readProcStat(child.pid)!;
      const identity = {
        pid: child.pid,
        startTime: stat.startTime,
        cmdline: ["/bin/sh", script, "-m", "model.gguf"],
      };
      let checks = 0;
      let wrong = 0;
      const until = performance.now() + 250;
      while (performance.now() < until) {
        checks++;
        if (isSameProcess(identity)) continue;
        const now = readProcStat(child.pid);
        if (now === undefined || now.state === "Z") break; // it ended: rightly not the same
        wrong++;
      }
      assert(checks > 20, `only ${checks} checks`);
      assertEquals(
        wrong,
        0,
        `${wrong} of ${checks} checks took the live launcher for another process`,
      );
    } finally {
      await child.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
