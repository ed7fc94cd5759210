/**
 * The synchronous prompt API in a real worker against a real host: `buildPresetAwarePromptMessages`,
 * `substituteParams` and `getTokenCount` run locally over the mirror and answer exactly what the host's
 * methods answer; the plugin's own function macro runs in its worker for both; `setExtensionPrompt` and
 * variable writes show locally at once and reach the host.
 */

import assert from "node:assert/strict";
import { DEFAULT_PRESET, seedPresets } from "../../core/presets.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const OPTIONS = {
  messages: [
    { role: "system", content: "You recall memories." },
    { role: "user", content: "What did {{char}} see at {{pluginPlace}}?" },
  ],
  envelopeOptions: { includeCharacterCard: true },
  runtimeWorldInfo: {
    worldInfoBeforeEntries: ["The mill burned down."],
    worldInfoDepth: [{ depth: 0, role: 0, entries: ["Ash covers the road."] }],
  },
};
const TEXT = "{{char}} feels {{pluginMood}} near {{pluginPlace}}; {{user}} waits. {{description}}";

const PLUGIN = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
report("cold", (() => { try { return ctx.getTokenCount("Hello there"); } catch (e) { return e.message; } })());
await ctx.getTokenCountAsync(""); // loads the encoding: synchronous counts work from here on
ctx.registerMacro("pluginMood", () => "curious");
ctx.registerMacro("pluginPlace", "the old mill");
const options = ${JSON.stringify(OPTIONS)};
const text = ${JSON.stringify(TEXT)};
const steps = {
  read(tag) {
    report(tag, {
      messages: ctx.buildPresetAwarePromptMessages(options),
      text: ctx.substituteParams(text),
      extended: ctx.substituteParamsExtended("{{extra}} and {{char}}", { extra: "more" }),
      tokens: ctx.getTokenCount(text),
      padded: ctx.getTokenCount(text, 5),
    });
  },
  extension(tag) {
    ctx.setExtensionPrompt("plugin_note", "Plugin note for {{user}}.", 1, 0, false, 1);
    // synchronous, before the host has answered: the local copy already has it
    report(tag, ctx.buildPresetAwarePromptMessages(options).map((m) => m.content));
  },
  variables(tag) {
    const set = ctx.substituteParams("{{setvar::door::open}}{{addglobalvar::runs::2}}");
    report(tag, { set, get: ctx.substituteParams("{{getvar::door}} {{getglobalvar::runs}}") });
  },
  async count(tag) {
    report(tag, await ctx.getTokenCountAsync("Hello there"));
  },
};
ctx.eventSource.on("probe_run", async (step, arg) => { await steps[step](arg); });
`;

Deno.test("prompt calls in a worker equal the host's", async (t) => {
  await using h = await startSandboxHarness({ plugins: [{ id: "prompts", files: { "index.js": PLUGIN } }] });
  assert.equal(h.info("prompts").state, "running");
  const run = (step: string, tag: string) => h.call("eventSource.emit", "probe_run", step, tag);
  let n = 0;
  const local = async <T>(step: string): Promise<T> => {
    const tag = `${step}${++n}`;
    await run(step, tag);
    return await h.result<T>("prompts", tag);
  };
  const host = async () => ({
    messages: await h.call("buildPresetAwarePromptMessages", OPTIONS),
    text: await h.call("substituteParams", TEXT),
    extended: await h.call("substituteParamsExtended", "{{extra}} and {{char}}", { extra: "more" }),
    tokens: await h.call("getTokenCount", TEXT),
    padded: await h.call("getTokenCount", TEXT, 5),
  });

  await t.step("before its encoding is loaded a synchronous count says so", async () => {
    assert.match(
      await h.result<string>("prompts", "cold"),
      /still loading: await getTokenCountAsync\(\) once/,
    );
  });

  await t.step("with the default preset and card", async () => {
    seedPresets(h.lodge.store);
    // the seed bypassed the service; the next preset write carries it to the mirrors
    await h.lodge.presets.select("openai", "Default");
    const here = await local<Record<string, unknown>>("read");
    assert.deepEqual(here, await host());
    assert.match(
      String(here.text),
      /^Lodge Guide feels curious near the old mill; User waits\. A friendly guide/,
    );
    const contents = (here.messages as { content: string }[]).map((m) => m.content);
    assert.ok(
      contents.includes("What did {{char}} see at {{pluginPlace}}?"),
      "the plugin's messages go as given",
    );
    assert.ok(contents.includes("The mill burned down."));
  });

  await t.step("after host writes: tokenizer, persona, preset, note", async () => {
    const preset = structuredClone(DEFAULT_PRESET) as Record<string, unknown>;
    (preset.prompts as Record<string, unknown>[]).find((p) => p.identifier === "jailbreak")!.content =
      "Answer as {{char}}.";
    await h.lodge.presets.save({ name: "Default" }, { ...preset, openai_model: "gpt-4o" }, { select: true });
    await h.lodge.settings.save({
      ...h.lodge.settings.get(),
      power_user: {
        tokenizer: 0,
        persona_description: "{{user}} is a traveller.",
        persona_description_position: 4,
      },
    });
    h.lodge.context.saveChatMetadata({ note_prompt: "Keep it short.", note_depth: 0 });
    h.lodge.prompt.state.setExtensionPrompt("host_note", "Host note.", 2, 0);
    const here = await local<Record<string, unknown>>("read");
    assert.deepEqual(here, await host());
    const contents = (here.messages as { content: string }[]).map((m) => m.content);
    assert.equal(contents[0], "Host note.");
    assert.ok(contents.includes("User is a traveller."));
    assert.equal(contents.at(-1), "Answer as Lodge Guide.");
    assert.equal(here.tokens, Math.ceil(TEXT.length / 3.35));
  });

  await t.step("a local setExtensionPrompt shows at once and reaches the host", async () => {
    const contents = await local<string[]>("extension");
    assert.ok(contents.includes("Plugin note for User."));
    assert.deepEqual(h.lodge.prompt.state.extensionPrompts().plugin_note, {
      value: "Plugin note for {{user}}.",
      position: 1,
      depth: 0,
      scan: false,
      role: 1,
    });
    assert.deepEqual(
      ((await h.call("buildPresetAwarePromptMessages", OPTIONS)) as { content: string }[]).map((m) =>
        m.content
      ),
      contents,
    );
  });

  await t.step("variable macros read their own writes and save them on the host", async () => {
    assert.deepEqual(await local("variables"), { set: "", get: "open 2" });
    for (let i = 0; i < 100 && !h.lodge.context.record?.metadata.variables; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(h.lodge.context.record!.metadata.variables, { door: "open" });
    const settings = h.lodge.settings.get() as { extension_settings: { variables: { global: unknown } } };
    assert.deepEqual(settings.extension_settings.variables.global, { runs: 2 });
  });

  await t.step("getTokenCountAsync counts locally too", async () => {
    assert.equal(await local("count"), await h.call("getTokenCountAsync", "Hello there"));
  });
});
