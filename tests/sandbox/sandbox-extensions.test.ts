/**
 * Extension APIs across plugins: a plugin registers an API, another finds it synchronously and calls it
 * through the host (results and errors cross), names are first come first served, and an API goes away
 * with the plugin that offered it.
 */

import assert from "node:assert/strict";
import { RpcError } from "../../rpc/errors.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const OWNER = `
class Counter {
  #n = 0;
  add(by) { this.#n += by; return this.#n; }
  async slow(value) { await new Promise((r) => setTimeout(r, 5)); return { value }; }
  fail() { throw new Error("counter says no"); }
}
const ctx = Luker.getContext();
ctx.registerExtensionApi("counter", new Counter());
console.log("own", JSON.stringify(ctx.getExtensionApi("counter") instanceof Counter));
`;

const USER = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
ctx.eventSource.on("probe_use", async () => {
  const api = ctx.getExtensionApi("counter");
  const out = { methods: api && Object.keys(api).sort(), missing: ctx.getExtensionApi("nothing") };
  if (api) {
    out.add = [await api.add(2), await api.add(3)];
    out.slow = await api.slow("x");
    try { await api.fail(); } catch (e) { out.fail = { code: e.code, message: e.message }; }
  }
  report("use", out);
});
ctx.registerExtensionApi("counter", { add: () => -1 }); // taken: the owner keeps it
`;

Deno.test("extension APIs across plugins", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [
      { id: "owner", files: { "index.js": OWNER } },
      { id: "user", manifest: { requires: ["owner"] }, files: { "index.js": USER } },
    ],
  });
  assert.equal(h.info("user").state, "running");

  await t.step("the owner gets its own object back", async () => {
    assert.equal(await h.result("owner", "own"), true);
  });

  await t.step("another plugin calls it through the host", async () => {
    await h.call("eventSource.emit", "probe_use");
    const use = await h.result<Record<string, unknown>>("user", "use");
    assert.deepEqual(use.methods, ["add", "fail", "slow"]);
    assert.equal(use.missing, null);
    assert.deepEqual(use.add, [2, 5]);
    assert.deepEqual(use.slow, { value: "x" });
    assert.deepEqual(use.fail, { code: -32603, message: "Error: counter says no" });
  });

  await t.step("a taken name stays with its owner; clients see the registry and may call", async () => {
    await h.waitForLog("user", /belongs to plugin owner/);
    assert.deepEqual(await h.call("extensions.list"), {
      counter: { owner: "owner", methods: ["add", "slow", "fail"] },
    });
    assert.equal(await h.call("extensions.call", "counter", "add", [10]), 15);
    await assert.rejects(
      h.call("extensions.call", "counter", "constructor", []),
      (e: RpcError) => e.code === -32001,
    );
    await assert.rejects(h.call("extensions.register", "x", []), (e: RpcError) => e.code === -32002);
  });

  await t.step("the API leaves with its owner", async () => {
    await h.call("plugins.disable", "owner");
    assert.deepEqual(await h.call("extensions.list"), {});
    await h.call("eventSource.emit", "probe_use");
    const uses = h.logs("user").filter((e) => e.text.startsWith("use "));
    assert.deepEqual(JSON.parse(uses.at(-1)!.text.slice(4)), { methods: null, missing: null });
    await assert.rejects(
      h.call("extensions.call", "counter", "add", [1]),
      (e: RpcError) => e.code === -32001,
    );
  });
});
