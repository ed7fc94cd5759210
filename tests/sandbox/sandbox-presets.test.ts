/**
 * `context.presets` in a real worker against a real host: the synchronous reads (`list`, `getSelected`,
 * `getLive`, `getStored`, `resolve`) and the tool-calling checks answer from the mirror exactly as the
 * host's methods do, stay current after the host's writes and after the plugin's own awaited `save`,
 * carry secret ids but never secret values, and `presets.state.update` loses no update under concurrency.
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const PLUGIN = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
const fail = (f) => { try { f(); return null; } catch (e) { return { code: e.code, message: e.message }; } };
const warm = { collection: "openai", name: "Warm" };

const steps = {
  read(tag) {
    report(tag, {
      list: ctx.presets.list(),
      instruct: ctx.presets.list("instruct"),
      selected: ctx.presets.getSelected(),
      live: ctx.presets.getLive(),
      stored: ctx.presets.getStored({ collection: "openai", name: "WARM" }),
      accented: ctx.presets.getStored({ name: "cafe" }),
      missing: ctx.presets.getStored({ name: "nope" }),
      resolveLive: ctx.presets.resolve(),
      resolveNamed: ctx.presets.resolve({ collection: "openai", name: "warm" }),
      resolveMissing: ctx.presets.resolve({ name: "nope" }),
      resolveStrict: fail(() => ctx.presets.resolve({ name: "nope" }, { fallback: false })),
      resolveSelectedLive: ctx.presets.resolve({ name: "cafe" }, { live: true }),
      supported: ctx.isToolCallingSupported(),
      quiet: ctx.canPerformToolCalls("quiet"),
      normal: ctx.canPerformToolCalls("normal"),
    });
  },
  shape() {
    const copy = ctx.presets.getLive();
    if (copy) copy.body.temperature = -5; // a copy: the mirror keeps its value
    report("shape", {
      list: typeof ctx.presets.list,
      save: typeof ctx.presets.save,
      stateGet: typeof ctx.presets.state.get,
      stateUpdate: typeof ctx.presets.state.update,
      unknown: typeof ctx.presets.nope,
      thenable: typeof ctx.presets.then,
      kept: ctx.presets.getLive()?.body.temperature,
      badCollection: fail(() => ctx.presets.list("nope")),
      badTarget: fail(() => ctx.presets.getStored(null)),
    });
  },
  async save() {
    const body = { ...ctx.presets.getStored(warm), temperature: 1.7 };
    await ctx.presets.save(warm, body);
    report("saved", { stored: ctx.presets.getStored(warm).temperature, live: ctx.presets.getLive().body.temperature });
  },
  async state() {
    const target = { target: { collection: "openai", name: "warm" } };
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      ctx.presets.state.update("probe", (current = {}) => ({ ...current, n: (current.n ?? 0) + 1 }), target)));
    const bad = await ctx.presets.state.update("probe", () => { throw new Error("no"); }, target);
    const noTarget = await ctx.presets.state.update("probe", () => ({ n: 0 }), { target: { name: "nope" } });
    const batch = await ctx.presets.state.getBatch(["probe", "other"], target);
    const deleted = await ctx.presets.state.delete("probe", target);
    report("state", { ok: results.every((r) => r.ok), bad, noTarget: noTarget.reason, batch, deleted,
      after: await ctx.presets.state.get("probe", target) });
  },
};
ctx.eventSource.on("probe_run", async (step, arg) => { await steps[step](arg); });
`;

Deno.test("context.presets in a worker: local reads equal the host's answers", async (t) => {
  await using h = await startSandboxHarness({ plugins: [{ id: "presets", files: { "index.js": PLUGIN } }] });
  assert.equal(h.info("presets").state, "running");
  const run = (step: string, arg?: string) => h.call("eventSource.emit", "probe_run", step, arg);
  let reads = 0;
  /** What the plugin reads locally, beside what the host's methods answer now. */
  async function compare(): Promise<Record<string, unknown>> {
    const tag = `read${++reads}`;
    await run("read", tag);
    const local = await h.result<Record<string, unknown>>("presets", tag);
    assert.deepEqual(local, {
      list: await h.call("presets.list"),
      instruct: await h.call("presets.list", "instruct"),
      selected: await h.call("presets.getSelected"),
      live: await h.call("presets.getLive"),
      stored: await h.call("presets.getStored", { collection: "openai", name: "WARM" }),
      accented: await h.call("presets.getStored", { name: "cafe" }),
      missing: null,
      resolveLive: await h.call("presets.resolve"),
      resolveNamed: await h.call("presets.resolve", { collection: "openai", name: "warm" }),
      resolveMissing: await h.call("presets.resolve", { name: "nope" }),
      resolveStrict: await h.call("presets.resolve", { name: "nope" }, { fallback: false }).then(
        () => null,
        (e) => ({ code: e.code, message: e.message }),
      ),
      resolveSelectedLive: await h.call("presets.resolve", { name: "cafe" }, { live: true }),
      supported: await h.call("isToolCallingSupported"),
      quiet: await h.call("canPerformToolCalls", "quiet"),
      normal: await h.call("canPerformToolCalls", "normal"),
    });
    return local;
  }
  const secret = "sk-plugin-must-never-see-this-42";

  await t.step("with no presets yet", async () => {
    const local = await compare();
    assert.deepEqual(local.list, []);
    assert.equal(local.live, null);
  });

  await t.step("the mirror follows the host's writes", async () => {
    const secretId = await h.lodge.secrets.write("api_key_custom", secret);
    // small bodies: a plugin's log line (how it reports here) holds at most 8 KiB
    await h.lodge.presets.save({ name: "Warm" }, {
      function_calling: true,
      temperature: 0.9,
      chat_completion_source: "custom",
      custom_url: "http://127.0.0.1:9/v1",
      custom_model: "warm-model",
      secret_id: secretId,
    });
    await h.lodge.presets.save({ name: "Café" }, { function_calling: true, temperature: 0.2 });
    await h.lodge.presets.save({ collection: "instruct", name: "ChatML" }, {
      input_sequence: "<|im_start|>",
    });
    await h.lodge.presets.select("openai", "Café");
    let local = await compare();
    assert.deepEqual((local.list as { name: string }[]).map((r) => r.name), ["Café", "Warm"]);
    assert.equal((local.stored as { temperature: number }).temperature, 0.9);
    assert.deepEqual(local.resolveNamed, {
      requestApi: "openai",
      requestModel: "warm-model",
      requestUrl: "http://127.0.0.1:9/v1",
      secretId,
    });
    assert.equal(local.normal, true);

    h.lodge.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: false }]);
    local = await compare();
    assert.equal((local.live as { stored: boolean }).stored, false, "unsaved edits show in getLive");
    assert.equal(local.supported, false);
    await h.lodge.presets.select("openai", "Warm");
    await compare();
    assert.ok(!h.logs("presets").some((e) => e.text.includes(secret)), "a secret value reached the plugin");
  });

  await t.step("reads are synchronous copies; unknown collections fail as on the host", async () => {
    await run("shape");
    assert.deepEqual(await h.result("presets", "shape"), {
      list: "function",
      save: "function",
      stateGet: "function",
      stateUpdate: "function",
      unknown: "undefined",
      thenable: "undefined",
      kept: 0.9,
      badCollection: { code: -32602, message: "unknown preset collection nope" },
      badTarget: { code: -32602, message: "a preset is named by { collection, name }" },
    });
    const remote = await h.call("presets.list", "nope").catch((e: { code: number }) => e.code);
    assert.equal(remote, -32602);
  });

  await t.step("a read right after the plugin's awaited save sees the save", async () => {
    await run("save");
    assert.deepEqual(await h.result("presets", "saved"), { stored: 1.7, live: 1.7 });
    assert.equal(h.lodge.presets.getStored({ name: "Warm" })?.temperature, 1.7);
    await compare();
  });

  await t.step("presets.state.update loses no update under concurrency", async () => {
    await run("state");
    assert.deepEqual(await h.result("presets", "state"), {
      ok: true,
      bad: { ok: false, reason: "VALIDATION_ARGS", hint: "updater threw: no" },
      noTarget: "VALIDATION_TARGET",
      batch: { probe: { n: 20 }, other: null },
      deleted: { ok: true, deleted: true },
      after: null,
    });
  });
});
