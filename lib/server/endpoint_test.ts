import { assertEquals } from "../../tests/assert.ts";
import { openConnections } from "./connections.ts";
import { fetchServer } from "./endpoint.ts";

Deno.test("fetchServer closes its connection after the answer: a probe never lingers as a client", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const port = server.addr.port;
  const settled = async () => {
    for (let i = 0; i < 100 && openConnections(Deno.pid, port) > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return openConnections(Deno.pid, port);
  };
  try {
    // A plain fetch keeps its connection for the next request: the server still holds it.
    await (await fetch(`http://127.0.0.1:${port}/health`)).text();
    assertEquals(openConnections(Deno.pid, port), 1);
    // fetchServer reuses it once and closes it; three probes leave nothing behind.
    for (let i = 0; i < 3; i++) {
      assertEquals(await (await fetchServer(`http://127.0.0.1:${port}/health`)).text(), "ok");
    }
    assertEquals(await settled(), 0);
  } finally {
    await server.shutdown();
  }
});
