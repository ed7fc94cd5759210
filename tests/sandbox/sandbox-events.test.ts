/**
 * Events across plugins in real workers: listeners awaited in order across plugins (priority,
 * makeFirst/makeLast, pluginOrder), payload edits sent back as patches and seen by the next listener,
 * off/once, a throwing listener, getListenersMeta, and emit from one plugin reaching another, whose
 * listeners' edits land in the emitter's own objects.
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

/** A plugin that appends its id to `payload.trail` and can be told to reorder or leave. */
const listener = (id: string, priority: number) => `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
async function onPayload(payload) {
  await new Promise((r) => setTimeout(r, 5)); // awaited: the next plugin waits for this one
  payload.trail.push("${id}");
  payload.seenBy${id} = payload.trail.length;
}
ctx.eventSource.on("probe_payload", onPayload, { priority: ${priority} });
ctx.eventSource.once("probe_once", (payload) => { payload.trail.push("${id}-once"); });
ctx.eventSource.on("probe_throw", () => { throw new Error("listener ${id} fails"); });
ctx.eventSource.on("probe_control", async (command) => {
  if (command.target !== "${id}") return;
  if (command.do === "first") report("moved", await ctx.eventSource.makeFirst("probe_payload", onPayload));
  if (command.do === "last") report("moved", await ctx.eventSource.makeLast("probe_payload", onPayload));
  if (command.do === "off") ctx.eventSource.off("probe_payload", onPayload);
  if (command.do === "meta") report("meta", await ctx.eventSource.getListenersMeta("probe_payload"));
  if (command.do === "order") await ctx.eventSource.setOrderConfig({ probe_payload: { pluginOrder: command.order } });
  if (command.do === "emit") await ctx.eventSource.emit("probe_payload", { trail: ["emitter"] });
  if (command.do === "emitBack") {
    const trail = ["emitter"];
    const payload = { trail, untouched: { kept: true }, gone: 1 };
    ctx.eventSource.once("probe_payload", (p) => { delete p.gone; });
    const result = await ctx.eventSource.emit("probe_payload", payload, 7);
    report("emitted", { payload, sameTrail: payload.trail === trail, result: result ?? null });
  }
});
`;

Deno.test("events across plugins: order, payload patches, off/once, emit from a plugin", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [
      { id: "alpha", files: { "index.js": listener("alpha", 0) } },
      { id: "beta", files: { "index.js": listener("beta", 10) } },
    ],
  });
  // emitted on the host's bus: the plugins' patches are applied to this very object
  const emit = async (event: string) => {
    const payload = { trail: [] as string[] };
    await h.lodge.events.emit(event, payload);
    return payload;
  };
  const control = (target: string, what: string, extra: Record<string, unknown> = {}) =>
    h.call("eventSource.emit", "probe_control", { target, do: what, ...extra });

  await t.step("priority orders listeners across plugins; each sees the edits before it", async () => {
    const payload = await emit("probe_payload");
    assert.deepEqual(payload, { trail: ["beta", "alpha"], seenBybeta: 1, seenByalpha: 2 });
  });

  await t.step("getListenersMeta reports plugin ids in call order", async () => {
    await control("alpha", "meta");
    const meta = await h.result<
      { pluginId: string; priority: number; source: string; listenerName: string | null }[]
    >("alpha", "meta");
    assert.deepEqual(
      meta.filter((m) => m.pluginId).map((m) => [m.pluginId, m.priority, m.source, m.listenerName]),
      [
        ["beta", 10, "plugin", "onPayload"],
        ["alpha", 0, "plugin", "onPayload"],
      ],
    );
  });

  await t.step("makeFirst, makeLast and pluginOrder reorder", async () => {
    await control("alpha", "first");
    assert.equal(await h.result("alpha", "moved"), true);
    assert.deepEqual((await emit("probe_payload")).trail, ["alpha", "beta"]);
    await control("alpha", "last");
    assert.deepEqual((await emit("probe_payload")).trail, ["beta", "alpha"]);
    await control("beta", "order", { order: ["alpha", "beta"] });
    // hints still win over plugin order: alpha was moved last
    assert.deepEqual((await emit("probe_payload")).trail, ["beta", "alpha"]);
  });

  await t.step("once fires once; a throwing listener does not stop the chain", async () => {
    assert.deepEqual((await emit("probe_once")).trail.sort(), ["alpha-once", "beta-once"]);
    assert.deepEqual((await emit("probe_once")).trail, []);
    await h.call("eventSource.emit", "probe_throw");
    assert.deepEqual((await emit("probe_payload")).trail, ["beta", "alpha"]);
  });

  await t.step("emit from a plugin runs every plugin's listeners, edits passed along", async () => {
    const seen: unknown[] = [];
    const observer = (payload: unknown) => void seen.push(structuredClone(payload));
    h.lodge.events.on("probe_payload", observer);
    h.lodge.events.makeLast("probe_payload", observer); // behind alpha, which was made last before
    await control("alpha", "emit");
    h.lodge.events.off("probe_payload", observer);
    assert.deepEqual(seen, [{ trail: ["emitter", "beta", "alpha"], seenBybeta: 2, seenByalpha: 3 }]);
  });

  await t.step("the emitting plugin sees the listeners' edits in its own objects", async () => {
    await control("alpha", "emitBack");
    assert.deepEqual(await h.result("alpha", "emitted"), {
      payload: {
        trail: ["emitter", "beta", "alpha"],
        untouched: { kept: true },
        seenBybeta: 2,
        seenByalpha: 3,
      },
      sameTrail: true,
      result: null,
    });
  });

  await t.step("off removes the listener on the host", async () => {
    await control("beta", "off");
    assert.deepEqual((await emit("probe_payload")).trail, ["alpha"]);
  });

  await t.step("a stopped plugin's listeners are gone", async () => {
    await h.call("plugins.disable", "alpha");
    assert.deepEqual((await emit("probe_payload")).trail, []);
    assert.deepEqual(h.lodge.events.getListenersMeta("probe_payload").filter((m) => m.pluginId), []);
  });
});
