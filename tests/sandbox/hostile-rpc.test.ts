/**
 * Hostile plugins speaking the wire protocol themselves: raw Comlink messages walking
 * `constructor.constructor` to reach `Function` on the other side, raw JSON-RPC frames that claim
 * another plugin's identity or call admin methods, frames trying to smuggle a second envelope past the
 * sandbox process, and admin methods through the context proxy. Each must be refused without effect.
 */

import assert from "node:assert/strict";
import {
  assertAllDenied,
  assertGoodAnswers,
  assertHostAnswers,
  CountingServer,
  GOOD_ID,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

/**
 * Body of a smuggled `Function`: it calls home and succeeds only if the call got through, so running it
 * inside the hostile worker itself (where that port is not granted) counts as a failure.
 */
const payload = (port: number, tag: string) =>
  `return fetch("http://127.0.0.1:${port}/pwned-${tag}", { headers: { "x-from": "exploit" } }).then(() => "ran");`;

Deno.test("hostile: raw Comlink messages and forged JSON-RPC frames are refused", async (t) => {
  const home = new CountingServer();
  const { h } = await startHostile([
    // granted the port, so the sandbox process as a whole may reach it: only an escape would call home
    jsPlugin("home-friend", `console.log("friend ready");`, {
      permissions: { net: [`127.0.0.1:${home.port}`] },
    }),
    jsPlugin(
      "evil-comlink",
      `${PROBE}
const replies = [];
self.addEventListener("message", (e) => replies.push(e.data));
const waitReply = (match, ms = 1000) => new Promise((resolve, reject) => {
  const started = Date.now();
  const tick = () => {
    const found = replies.find(match);
    if (found !== undefined) return resolve(found);
    if (Date.now() - started > ms) return reject(new Error("no reply"));
    setTimeout(tick, 20);
  };
  tick();
});
const body = ${JSON.stringify(payload(home.port, "raw"))};
const raw = [
  { id: "c1", type: "GET", path: ["constructor", "constructor"] },
  { id: "c2", type: "APPLY", path: ["constructor", "constructor"], argumentList: [{ type: "RAW", value: body }] },
  { id: "c3", type: "CONSTRUCT", path: ["constructor", "constructor"], argumentList: [{ type: "RAW", value: body }] },
  { id: "c4", type: "SET", path: ["onmessage"], value: { type: "RAW", value: null } },
  { id: "c5", type: "ENDPOINT", path: [] },
];
for (const message of raw) {
  await attempt("object " + message.type, async () => {
    self.postMessage(message);
    return await waitReply((r) => typeof r === "object" && r?.id === message.id);
  });
  await attempt("string " + message.type, async () => {
    self.postMessage(JSON.stringify(message));
    const reply = await waitReply((r) => typeof r === "string" && r.includes(JSON.stringify(message.id)));
    if (/"error"/.test(reply)) throw new Error(reply);
    return reply;
  });
}
await attempt("transferred port", async () => {
  const { port1, port2 } = new MessageChannel();
  self.postMessage({ id: "c6", type: "GET", path: [] }, [port2]);
  return await new Promise((resolve, reject) => {
    port1.onmessage = (e) => resolve(e.data);
    setTimeout(() => reject(new Error("no reply")), 1000);
  });
});
await attempt("comlink wrap of the global scope", async () => {
  const Comlink = await import("npm:comlink@4.4.2");
  const remote = Comlink.wrap(self);
  const F = await Promise.race([
    new remote.constructor.constructor(${JSON.stringify(payload(home.port, "wrap"))}),
    new Promise((_, reject) => setTimeout(() => reject(new Error("no reply")), 1000)),
  ]);
  return await F();
});
const ctx = Luker.getContext();
await attempt("context constructor.constructor", async () => {
  const F = ctx.constructor.constructor(${JSON.stringify(payload(home.port, "ctx"))});
  return await F();
});
await attempt("context new constructor.constructor", async () => {
  const F = new ctx.constructor.constructor(${JSON.stringify(payload(home.port, "ctxnew"))});
  return await F();
});
await attempt("eventSource constructor.constructor", async () => {
  const F = ctx.eventSource.on.constructor(${JSON.stringify(payload(home.port, "es"))});
  return await F();
});
report("COMLINK");
`,
    ),
    jsPlugin(
      "evil-frames",
      `${PROBE}
const replies = [];
self.addEventListener("message", (e) => { if (typeof e.data === "string") replies.push(e.data); });
const waitReply = (id, ms = 3000) => new Promise((resolve, reject) => {
  const started = Date.now();
  const tick = () => {
    for (const text of replies) {
      let msg;
      try { msg = JSON.parse(text); } catch { continue; }
      const found = (Array.isArray(msg) ? msg : [msg]).find((m) => m?.id === id);
      if (found) return resolve(found);
    }
    if (Date.now() - started > ms) return reject(new Error("no reply"));
    setTimeout(tick, 20);
  };
  tick();
});
const send = async (name, id, frame) => {
  await attempt(name, async () => {
    self.postMessage(typeof frame === "string" ? frame : JSON.stringify(frame));
    const reply = await waitReply(id);
    if (reply.error) throw new Error(reply.error.code + " " + reply.error.message);
    return reply.result;
  });
};
const rq = (id, method, params, extra = {}) => ({ jsonrpc: "2.0", id, method, params, ...extra });
await send("plugins.disable", "f1", rq("f1", "plugins.disable", ["${GOOD_ID}"]));
await send("plugins.disable claiming a client", "f2", rq("f2", "plugins.disable", ["${GOOD_ID}"], {
  caller: { kind: "client", connectionId: "harness" },
  pluginId: "${GOOD_ID}",
}));
await send("plugins.reload", "f3", rq("f3", "plugins.reload", ["${GOOD_ID}"]));
await send("plugins.logs of another plugin", "f4", rq("f4", "plugins.logs", ["${GOOD_ID}"]));
await send("plugins.list", "f5", rq("f5", "plugins.list", []));
await send("batch with an admin call", "f6", [rq("f6", "plugins.disable", ["${GOOD_ID}"]), rq("f6b", "eventTypes", [])]);
await send("envelope as a frame", "f7", JSON.stringify(["m", "${GOOD_ID}", JSON.stringify(rq("f7", "plugins.disable", ["${GOOD_ID}"]))]));
await send("smuggled second line", "f8",
  JSON.stringify(rq("f8x", "eventTypes", [])) + "\\n" + JSON.stringify(["m", "${GOOD_ID}", JSON.stringify(rq("f8", "plugins.disable", ["${GOOD_ID}"]))]));
await send("__proto__ method", "f9", rq("f9", "__proto__", []));
await send("constructor method", "f10", rq("f10", "constructor", []));
const ctx = Luker.getContext();
await attempt("ctx.plugins.disable", () => ctx.plugins.disable("${GOOD_ID}"));
await attempt("ctx.plugins.list", () => ctx.plugins.list());
report("FRAMES");
`,
    ),
  ]);
  try {
    await t.step("raw Comlink messages reach nothing", async () => {
      const report = await h.result<Report>("evil-comlink", "COMLINK", 30_000);
      assertAllDenied(report);
      assert.deepEqual(home.hits.filter((hit) => hit.path.startsWith("/pwned")), [], "smuggled code ran");
    });

    await t.step("forged frames and admin calls are refused", async () => {
      const report = await h.result<Report>("evil-frames", "FRAMES", 60_000);
      assertAllDenied(report);
      for (const name of ["plugins.disable", "plugins.disable claiming a client", "plugins.reload"]) {
        assert.match(report[name].error ?? "", /-32002/, `${name} was not refused as forbidden`);
      }
      assert.match(report["ctx.plugins.disable"].error ?? "", /forbidden/i);
      assert.equal(h.info(GOOD_ID).state, "running");
    });

    await t.step("the host and the good plugin still answer", async () => {
      await assertHostAnswers(h, "after the forged frames");
      await assertGoodAnswers(h, "after the forged frames");
    });
  } finally {
    await h.close();
    await home.close();
  }
});
