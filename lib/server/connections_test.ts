import { assertEquals } from "../../tests/assert.ts";
import { openConnections } from "./connections.ts";

Deno.test("openConnections counts the connections accepted on one TCP port or UNIX socket", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  assertEquals(openConnections(Deno.pid, port), 0);
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const server = await listener.accept();
  // The accepted end is on the port; the client's end is on an ephemeral one.
  assertEquals(openConnections(Deno.pid, port), 1);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const ul = Deno.listen({ transport: "unix", path });
  const uc = await Deno.connect({ transport: "unix", path });
  const us = await ul.accept();
  assertEquals(openConnections(Deno.pid, path), 1);
  assertEquals(openConnections(Deno.pid, port), 1);
  for (const c of [client, server, listener, uc, us, ul]) c.close();
  assertEquals(openConnections(Deno.pid, port), 0);
  assertEquals(openConnections(Deno.pid, path), 0);
  await Deno.remove(dir, { recursive: true });
});
