/**
 * Hostile plugin: network access beyond its `net` grant. A second plugin is granted the port the
 * hostile one is denied, so the sandbox process as a whole may reach it: the denial must come from the
 * worker's own grants, not from the process flags.
 */

import assert from "node:assert/strict";
import { assertAllowed, assertDenied, CountingServer, jsPlugin, Kit, PROBE } from "./hostile-kit.ts";

Deno.test("hostile: network beyond the net grant is denied, the granted port works", async () => {
  const granted = new CountingServer();
  const other = new CountingServer();
  const kit = await Kit.start([
    jsPlugin(
      "evil-net",
      `${PROBE}
const granted = "http://127.0.0.1:${granted.port}";
const other = "http://127.0.0.1:${other.port}";
const headers = { "x-from": "evil-net" };
await attempt("granted fetch", async () => (await fetch(granted + "/ok", { headers })).text());
await attempt("fetch other port", async () => (await fetch(other + "/steal", { headers })).text());
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
  ws.onerror = () => reject(new Error("websocket refused"));
}));
await attempt("resolve dns", () => Deno.resolveDns("example.com", "A"));
report();
`,
      { permissions: { net: [`127.0.0.1:${granted.port}`] } },
    ),
    jsPlugin(
      "net-friend",
      `
const res = await fetch("http://127.0.0.1:${other.port}/friend", { headers: { "x-from": "net-friend" } });
console.log("friend " + res.status + " " + (await res.text()));
`,
      { permissions: { net: [`127.0.0.1:${other.port}`] } },
    ),
  ]);
  try {
    const report = await kit.report("evil-net");
    assertAllowed(report, "granted fetch");
    for (const name of ["fetch other port", "fetch other port by name", "connect other port"]) {
      assertDenied(report, name);
    }
    assertDenied(report, "websocket other port");
    assertDenied(report, "resolve dns");
    assert.equal(granted.from("evil-net"), 1, "the granted port saw the control request");
    // the friend, granted that port, got through: the process could reach it, the worker could not
    await kit.waitLog("net-friend", /^friend 200 /, 10_000);
    assert.equal(other.from("evil-net"), 0, `the ungranted port was reached: ${JSON.stringify(other.hits)}`);
    assert.equal(other.hits.filter((h) => h.path === "/raw" || h.path === "/ws").length, 0);
    await kit.assertHostAnswers("after the network attempts");
    await kit.assertGoodAnswers("after the network attempts");
  } finally {
    await kit.close();
    await granted.close();
    await other.close();
  }
});
