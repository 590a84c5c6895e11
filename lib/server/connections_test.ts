import { assertEquals } from "../../tests/assert.ts";
import { openConnections } from "./connections.ts";

Deno.test("openConnections counts this process's connected TCP and UNIX sockets", async () => {
  const before = openConnections(Deno.pid);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const server = await listener.accept();
  // Both ends of the loopback connection belong to this process.
  assertEquals(openConnections(Deno.pid), before + 2);
  const dir = await Deno.makeTempDir();
  const ul = Deno.listen({ transport: "unix", path: `${dir}/s.sock` });
  const uc = await Deno.connect({ transport: "unix", path: `${dir}/s.sock` });
  const us = await ul.accept();
  assertEquals(openConnections(Deno.pid), before + 4);
  for (const c of [client, server, listener, uc, us, ul]) c.close();
  assertEquals(openConnections(Deno.pid), before);
  await Deno.remove(dir, { recursive: true });
});
