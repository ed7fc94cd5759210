/**
 * Hostile plugin: network access beyond its `net` grant. A second plugin is granted the port the hostile
 * one is denied, so the shared sandbox process may reach it: the denial must come from the worker's own
 * grants, not only from the process flags.
 */

import assert from "node:assert/strict";
import {
  assertAllowed,
  assertDenied,
  assertGoodAnswers,
  assertHostAnswers,
  CountingServer,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

Deno.test("hostile: network beyond the net grant is denied, the granted port works", async () => {
  const granted = new CountingServer();
  const other = new CountingServer();
  const { h } = await startHostile([
    jsPlugin(
      "evil-net",
      `${PROBE}
const headers = { "x-from": "evil-net" };
await attempt("granted fetch", async () => (await fetch("http://127.0.0.1:${granted.port}/ok", { headers })).text());
await attempt("fetch other port", async () => (await fetch("http://127.0.0.1:${other.port}/steal", { headers })).text());
await attempt("fetch other port by name", async () =>
  (await fetch("http://localhost:${other.port}/steal", { headers })).text());
await attempt("connect other port", async () => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: ${other.port} });
  await conn.write(new TextEncoder().encode("GET /raw HTTP/1.0\\r\\nx-from: evil-net\\r\\n\\r\\n"));
  conn.close();
});
await attempt("websocket other port", () => new Promise((resolve, reject) => {
  const ws = new WebSocket("ws://127.0.0.1:${other.port}/ws");
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => reject(new Error("websocket failed"));
}));
await attempt("resolve dns", () => Deno.resolveDns("example.com", "A"));
report("NET");
`,
      { permissions: { net: [`127.0.0.1:${granted.port}`] } },
    ),
    jsPlugin(
      "net-friend",
      `const res = await fetch("http://127.0.0.1:${other.port}/friend", { headers: { "x-from": "net-friend" } });
console.log("friend " + res.status + " " + (await res.text()));
`,
      { permissions: { net: [`127.0.0.1:${other.port}`] } },
    ),
  ]);
  try {
    const report = await h.result<Report>("evil-net", "NET");
    assertAllowed(report, "granted fetch");
    for (
      const name of [
        "fetch other port",
        "fetch other port by name",
        "connect other port",
        "websocket other port",
        "resolve dns",
      ]
    ) assertDenied(report, name);
    assert.equal(granted.from("evil-net"), 1, "the granted port saw the control request");
    // the friend, granted that port, got through: the process could reach it, the hostile worker could not
    await h.waitForLog("net-friend", /^friend 200 /);
    assert.equal(other.from("net-friend"), 1);
    assert.deepEqual(
      other.hits.filter((hit) => hit.from !== "net-friend"),
      [],
      "the ungranted port was reached",
    );
    await assertHostAnswers(h, "after the network attempts");
    await assertGoodAnswers(h, "after the network attempts");
  } finally {
    await h.close();
    await granted.close();
    await other.close();
  }
});
