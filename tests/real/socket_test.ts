/**
 * End-to-end, real llama-server on a UNIX socket (`--host /path/x.sock`):
 * readiness over the socket, status, stop, and a restart on the same path.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../assert.ts";
import { withStore } from "../sandbox.ts";
import { fetchServer, socketUrl } from "../../lib/server/endpoint.ts";
import { alive, realTest, withRealSandbox } from "./real_sandbox.ts";

async function socketGet(path: string, url: string): Promise<{ status: number; body: string }> {
  const res = await fetchServer(socketUrl(path, url));
  return { status: res.status, body: await res.text() };
}

realTest(
  "--host /path/x.sock: ready over the socket, --status, -k, and again on the same path",
  async (real) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      const sock = join(sb.root, "llama.sock");
      const r = await sb.run(["-m", "tiny", "-d", "--host", sock]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stdout,
        new RegExp(`^ready: unix:${sock} \\(real-tiny-F16\\.gguf from hdd, pid \\d+,`),
      );
      assertEquals((await socketGet(sock, "/health")).status, 200);
      const props = JSON.parse((await socketGet(sock, "/props")).body);
      assertEquals(props.model_path, join(sb.hdd, "real-tiny-F16.gguf"));
      assertStringIncludes(
        await Deno.readTextFile(join(sb.state, "logs", "server-llama.sock.log")),
        `listening on unix://${sock}`,
      );

      const st = await sb.run(["--status"]);
      assertEquals(st.code, 0, st.stderr);
      assertMatch(
        st.stdout,
        new RegExp(
          `\\n +-  ${sock}  real-tiny-F16\\.gguf  hdd +\\d+ +\\d+s +[\\d.]+ MiB {2}ready\\n`,
        ),
      );
      const js = JSON.parse((await sb.run(["--status", "--json"])).stdout);
      assertEquals(js.servers[0].url, `unix:${sock}`);

      // A TCP -k on the default port leaves the socket server alone.
      const pid = withStore(sb, (s) => s.servers()[0]!.pid);
      assertEquals((await sb.run(["-k"])).code, 1);
      assert(alive(pid));

      const k = await sb.run(["-k", "--host", sock]);
      assertEquals(k.code, 0, k.stderr);
      assertMatch(
        k.stdout,
        new RegExp(`^${sock}: real-tiny-F16\\.gguf \\(pid ${pid}\\) stopped with SIGTERM in`),
      );
      assert(!alive(pid));

      // The server leaves its socket file behind; a new start on the path still works.
      const again = await sb.run(["-m", "tiny", "-d", "--host", sock]);
      assertEquals(again.code, 0, again.stderr);
      assertEquals((await socketGet(sock, "/health")).status, 200);
      assertEquals((await sb.run(["--killall"])).code, 0);
    });
  },
);

realTest("a socket another program listens on is refused, naming it", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    const sock = join(sb.root, "busy.sock");
    const listener = Deno.listen({ transport: "unix", path: sock });
    try {
      const r = await sb.run(["-m", "tiny", "-d", "--host", sock]);
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(
        r.stderr,
        `${sock} is in use by another program (not started by llama-pack)`,
      );
    } finally {
      listener.close();
    }
  });
});
