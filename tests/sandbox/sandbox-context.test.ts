/**
 * `getContext()` inside a real worker in a real sandbox process, against a real host: the globals, remote
 * calls and their errors, the read-only mirror (after the plugin's own awaited writes and after the
 * host's), `updateChatState` under concurrency, console capture, and what a plugin may not call.
 */

import assert from "node:assert/strict";
import { type SandboxHarness, startSandboxHarness } from "../support/sandbox-harness.ts";

const SURFACE = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
const fail = (e) => ({ code: e.code, message: e.message, data: e.data, name: e.name });

report("boot", {
  same: SillyTavern.getContext() === ctx && st.getContext() === ctx,
  chatIsArray: Array.isArray(ctx.chat),
  count: ctx.getMessageCount(),
  name1: ctx.name1,
  name2: ctx.name2,
  characters: ctx.characters.length,
  chatId: ctx.chatId,
  messageSent: ctx.eventTypes.MESSAGE_SENT,
  addMessages: typeof ctx.addMessages,
  unknown: typeof ctx.definitelyNotAMethod,
  inOperator: "updateMessages" in ctx,
});

const steps = {
  async roundTrip() {
    const index = await ctx.addMessages({ name: "Probe", mes: "first", is_user: true });
    const afterAdd = { count: ctx.getMessageCount(), mes: ctx.getMessage(index).mes, last: ctx.chat.at(-1).mes };
    await ctx.updateMessages({ index, patch: { mes: "edited" } });
    const afterUpdate = ctx.getMessage(index).mes;
    const remoteCount = await ctx.getMessageCount();
    const remoteMessage = await ctx.getMessage(index);
    await ctx.saveChatMetadata({ probe: 1 });
    const metadata = ctx.chat_metadata.probe;
    await ctx.deleteMessages(index);
    report("roundTrip", { index, afterAdd, afterUpdate, remoteCount, remoteMessage: remoteMessage.mes,
      metadata, afterDelete: ctx.getMessageCount() });
  },
  async errors() {
    const out = {};
    try { await ctx.deleteMessages(9999); } catch (e) { out.invalid = fail(e); }
    try { await ctx.openCharacterChat("no such chat"); } catch (e) { out.notFound = fail(e); }
    try { await ctx.plugins.list(); } catch (e) { out.forbidden = fail(e); }
    try { await ctx.getChatState(42); } catch (e) { out.params = fail(e); }
    try { ctx.getMessage(0).mes = "x"; } catch (e) { out.readOnly = e.name; }
    try { await ctx.addMessages({ mes: () => 1 }); } catch (e) { out.fn = fail(e); }
    report("errors", out);
  },
  corrupt() {
    try { ctx.chat.splice(0); } catch (e) { report("corrupt", e.message); } // scribbling on the copy
  },
  mirror() {
    report("mirror", { count: ctx.getMessageCount(), last: ctx.chat.at(-1)?.mes, meta: ctx.chat_metadata.fromHost });
  },
  async state() {
    const results = await Promise.all(Array.from({ length: 40 }, () =>
      ctx.updateChatState("probe-counter", (current = {}) => ({ ...current, n: (current.n ?? 0) + 1 }))));
    const unchanged = await ctx.updateChatState("probe-counter", () => undefined);
    const bad = await ctx.updateChatState("probe-counter", () => { throw new Error("no"); });
    const value = await ctx.getChatState("probe-counter");
    await ctx.deleteChatState("probe-counter");
    report("state", { ok: results.every((r) => r.ok), unchanged, bad, value, after: await ctx.getChatState("probe-counter") });
  },
  logs() {
    console.warn("careful", { nested: { deep: [1, 2] } });
    console.error(new Error("boom"));
    console.debug("quiet");
  },
};
ctx.eventSource.on("probe_run", async (step) => { await steps[step](); });
`;

async function run(h: SandboxHarness, step: string): Promise<void> {
  await h.call("eventSource.emit", "probe_run", step);
}

Deno.test("getContext() in a worker against a real host", async (t) => {
  await using h = await startSandboxHarness({ plugins: [{ id: "surface", files: { "index.js": SURFACE } }] });
  assert.equal(h.info("surface").state, "running");

  await t.step("the globals share one surface; remote members follow the method table", async () => {
    const boot = await h.result<Record<string, unknown>>("surface", "boot");
    const snapshot = h.lodge.context.snapshot();
    assert.deepEqual(boot, {
      same: true,
      chatIsArray: true,
      count: snapshot.chat.length,
      name1: snapshot.name1,
      name2: snapshot.name2,
      characters: snapshot.characters.length,
      chatId: snapshot.chatId,
      messageSent: "message_sent",
      addMessages: "function",
      unknown: "undefined", // names outside the method table: feature checks tell the truth
      inOperator: true,
    });
  });

  await t.step("calls reach the host; synchronous reads are current after each awaited write", async () => {
    const before = h.lodge.context.getMessageCount();
    await run(h, "roundTrip");
    const r = await h.result<Record<string, unknown>>("surface", "roundTrip");
    assert.deepEqual(r, {
      index: before,
      afterAdd: { count: before + 1, mes: "first", last: "first" },
      afterUpdate: "edited",
      remoteCount: before + 1,
      remoteMessage: "edited",
      metadata: 1,
      afterDelete: before,
    });
    assert.equal(h.lodge.context.getMessageCount(), before);
  });

  await t.step("errors keep their code, message and data across the boundary", async () => {
    await run(h, "errors");
    const r = await h.result<Record<string, { code: number; message: string; data: { kind?: string } }>>(
      "surface",
      "errors",
    );
    assert.equal(r.invalid.code, -32602);
    assert.match(r.invalid.message, /no message at index 9999/);
    assert.equal(r.invalid.data.kind, "invalid");
    assert.equal(r.notFound.code, -32001);
    assert.equal(r.forbidden.code, -32002);
    assert.equal(r.params.code, -32602);
    assert.ok(Array.isArray((r.params.data as { issues?: unknown[] }).issues));
    assert.equal(r.readOnly as unknown, "TypeError");
    assert.equal(r.fn.code, -32602);
  });

  await t.step("the mirror follows writes made by the host", async () => {
    await h.lodge.context.addMessages({ name: "Host", mes: "from the host" });
    h.lodge.context.saveChatMetadata({ fromHost: true });
    await run(h, "mirror");
    assert.deepEqual(await h.result("surface", "mirror"), {
      count: h.lodge.context.getMessageCount(),
      last: "from the host",
      meta: true,
    });
  });

  await t.step(
    "a plugin cannot break its copy: the scribble is refused and the copy stays in step",
    async () => {
      await run(h, "corrupt");
      assert.match(await h.result<string>("surface", "corrupt"), /read-only: change messages with/);
      await h.lodge.context.updateMessages({ index: 0, patch: { checked: true } });
      await h.lodge.context.addMessages({ name: "Host", mes: "after the attempt" });
      await run(h, "mirror");
      const entries = h.logs("surface").filter((e) => e.text.startsWith("mirror "));
      assert.deepEqual(JSON.parse(entries.at(-1)!.text.slice(7)), {
        count: h.lodge.context.getMessageCount(),
        last: "after the attempt",
        meta: true,
      });
      assert.ok(!h.logs("surface").some((e) => /mirror out of step/.test(e.text)), "no resync was needed");
    },
  );

  await t.step("concurrent updateChatState calls lose no update", async () => {
    await run(h, "state");
    assert.deepEqual(await h.result("surface", "state"), {
      ok: true,
      unchanged: { ok: true },
      bad: { ok: false, reason: "VALIDATION_ARGS", hint: "updater threw: no" },
      value: { n: 40 },
      after: null,
    });
  });

  await t.step("console output is kept per plugin with its level", async () => {
    await run(h, "logs");
    const logs = h.logs("surface");
    const warn = logs.find((e) => e.text.startsWith("careful"));
    assert.equal(warn?.level, "warn");
    assert.match(warn!.text, /nested: \{ deep: \[ 1, 2 \] \}/);
    const error = logs.find((e) => e.text.includes("boom"));
    assert.equal(error?.level, "error");
    assert.match(error!.text, /Error: boom/);
    assert.equal(logs.find((e) => e.text === "quiet")?.level, "debug");
    const viaRpc = await h.call("plugins.logs", "surface", { limit: 3 }) as { text: string }[];
    assert.deepEqual(viaRpc.map((e) => e.text), logs.slice(-3).map((e) => e.text));
  });
});
