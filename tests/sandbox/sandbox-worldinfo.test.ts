/**
 * World Info in a real worker against a real host: `resolveWorldInfoForMessages` with a
 * `postActivationHook` that runs in the plugin's worker on the full payload (editing slots in place,
 * or editing `activatedEntries` so the slots are rebuilt, adding and removing entries), a hook that
 * throws, `loadWorldInfoBatch` as a Map, the synchronous `buildWorldInfoChatInput`, the entry template
 * and the position constants.
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const PLUGIN = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
const messages = [{ role: "user", content: "the dragon sleeps in the cave" }];
const steps = {
  async plain() {
    report("plain", await ctx.resolveWorldInfoForMessages(messages, { type: "quiet" }));
  },
  async depthToAfter() {
    // Memory Graph's pattern: depth entries move to the after slot.
    const wi = await ctx.resolveWorldInfoForMessages(messages, {
      type: "quiet",
      postActivationHook: (payload) => {
        payload.activatedEntries = payload.activatedEntries.map((e) =>
          e.position === ctx.constants.wiPosition.atDepth ? { ...e, position: ctx.constants.wiPosition.after } : e);
        payload.activatedEntries.push({ ...ctx.worldInfoEntry.template, world: "hook", uid: 99, content: "Added.", position: 0, order: 1 });
        payload.activatedEntries = payload.activatedEntries.filter((e) => e.content !== "Dragons hoard gold.");
        return payload;
      },
    });
    report("depthToAfter", wi);
  },
  async inPlace() {
    const wi = await ctx.resolveWorldInfoForMessages(messages, {
      postActivationHook: async (payload) => {
        await new Promise((r) => setTimeout(r, 5));
        payload.worldInfoBeforeEntries.push("Edited in place.");
        report("hookSawWorker", typeof Deno === "undefined" ? "no-deno" : typeof Deno.readTextFile);
      },
    });
    report("inPlace", wi.worldInfoBeforeEntries);
  },
  async throwing() {
    const wi = await ctx.resolveWorldInfoForMessages(messages, { postActivationHook: () => { throw new Error("bad hook"); } });
    report("throwing", wi);
  },
  async helpers() {
    const books = await ctx.loadWorldInfoBatch(["Lore", "Missing"]);
    report("helpers", {
      isMap: books instanceof Map,
      keys: [...books.keys()],
      entries: Object.keys(books.get("Lore").entries).length,
      missing: books.get("Missing"),
      lines: ctx.buildWorldInfoChatInput([{ name: "Ann", mes: "hi", is_user: true }, { name: "Bo", mes: "yo" }]),
      bare: ctx.buildWorldInfoChatInput([{ name: "Ann", mes: "hi", is_user: true }], false),
      template: ctx.worldInfoEntry.template,
      frozen: Object.isFrozen(ctx.worldInfoEntry.template),
      positions: ctx.constants.wiPosition,
      anchors: ctx.constants.wiAnchor,
    });
  },
};
ctx.eventSource.on("probe_run", async (step) => { await steps[step](); });
`;

Deno.test("World Info in a worker: the post-activation hook runs in the plugin and edits the payload", async (t) => {
  await using h = await startSandboxHarness({ plugins: [{ id: "lore", files: { "index.js": PLUGIN } }] });
  await h.lodge.worldInfo.save("Lore", {
    entries: {
      0: { uid: 0, key: ["dragon"], content: "Dragons hoard gold.", order: 10 },
      1: { uid: 1, key: ["cave"], content: "Caves are dark.", position: 4, depth: 2, order: 20 },
      2: { uid: 2, key: ["sleeps"], content: "Sleep is deep.", position: 1, order: 30 },
    },
  });
  await h.lodge.settings.save({
    ...h.lodge.settings.get(),
    world_info_settings: { world_info: { globalSelect: ["Lore"] } },
  });
  const run = (step: string) => h.call("eventSource.emit", "probe_run", step);

  await t.step("without a hook the host's result comes back as is", async () => {
    await run("plain");
    const wi = await h.result<Record<string, unknown>>("lore", "plain");
    assert.deepEqual(wi.worldInfoBeforeEntries, ["Dragons hoard gold."]);
    assert.deepEqual(wi.worldInfoAfterEntries, ["Sleep is deep."]);
    assert.deepEqual(wi.worldInfoDepth, [{ depth: 2, role: 0, entries: ["Caves are dark."] }]);
  });

  await t.step("a hook editing activatedEntries rebuilds the slots", async () => {
    await run("depthToAfter");
    const wi = await h.result<Record<string, unknown>>("lore", "depthToAfter");
    assert.deepEqual(wi.worldInfoDepth, []);
    assert.deepEqual(wi.worldInfoAfterEntries, ["Caves are dark.", "Sleep is deep."]);
    assert.deepEqual(wi.worldInfoBeforeEntries, ["Added."]);
    assert.deepEqual((wi.activatedEntries as { uid: number }[]).map((e) => e.uid), [2, 1, 99]);
  });

  await t.step("a hook may edit the payload in place and return nothing", async () => {
    await run("inPlace");
    assert.deepEqual(await h.result("lore", "inPlace"), ["Dragons hoard gold.", "Edited in place."]);
    // The hook ran inside the worker: Deno's file API is there but denied by its grants.
    assert.equal(await h.result("lore", "hookSawWorker"), "function");
  });

  await t.step("a throwing hook gives the empty result", async () => {
    await run("throwing");
    const wi = await h.result<Record<string, unknown>>("lore", "throwing");
    assert.deepEqual(wi.activatedEntries, []);
    assert.deepEqual(wi.worldInfoBeforeEntries, []);
  });

  await t.step("batch loading, chat input, template and constants", async () => {
    await run("helpers");
    const r = await h.result<Record<string, unknown>>("lore", "helpers");
    assert.equal(r.isMap, true);
    assert.deepEqual(r.keys, ["Lore", "Missing"]);
    assert.equal(r.entries, 3);
    assert.equal(r.missing, null);
    assert.deepEqual(r.lines, ["Bo: yo", "Ann: hi"]);
    assert.deepEqual(r.bare, ["hi"]);
    assert.equal((r.template as Record<string, unknown>).order, 100);
    assert.equal(r.frozen, true);
    assert.deepEqual(r.positions, {
      before: 0,
      after: 1,
      ANTop: 2,
      ANBottom: 3,
      atDepth: 4,
      EMTop: 5,
      EMBottom: 6,
      outlet: 7,
    });
    assert.deepEqual(r.anchors, { before: 0, after: 1 });
  });
});
