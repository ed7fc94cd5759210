/**
 * Extensions written the SillyTavern way run unchanged in Lodge's workers: relative imports of
 * `script.js`, `extensions.js` and the slash-command modules at any depth, a plain SillyTavern
 * `manifest.json` (no `permissions`: no grants), `jQuery(fn)` setup, `generate_interceptor`, settings in
 * `extension_settings` saved with `saveSettingsDebounced` and still there after a host restart.
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";
import { startGenerationHost, waitFor } from "../support/generation-host.ts";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { ST_MODULES } from "../../plugins/worker/compat/table.ts";

/** SillyTavern's manifest fields only. */
const stManifest = (name: string, extra: Record<string, unknown> = {}) => ({
  display_name: name,
  loading_order: 10,
  requires: [],
  optional: [],
  js: "index.js",
  css: "style.css",
  author: "someone",
  version: "1.0.0",
  homePage: "https://example.invalid/",
  ...extra,
});

/** Registers /shout (SlashCommandParser) and {{st_greeting}} (MacrosParser), imports at two depths. */
const COMMANDS = `
import { SlashCommandParser } from "../../../slash-commands/SlashCommandParser.js";
import { SlashCommand } from "../../../slash-commands/SlashCommand.js";
import { ARGUMENT_TYPE, SlashCommandArgument, SlashCommandNamedArgument } from "../../../slash-commands/SlashCommandArgument.js";
import { MacrosParser } from "../../../macros.js";
import { name1, eventSource, event_types } from "../../../../script.js";
import { getContext, extension_settings } from "../../../extensions.js";
import { louder } from "./lib/deep/louder.js";

jQuery(async () => {
  SlashCommandParser.addCommandObject(SlashCommand.fromProps({
    name: "shout",
    aliases: ["yell"],
    callback: (args, value) => louder(value) + (args.suffix ?? "!"),
    returns: "the text, louder",
    helpString: "Shouts the text.",
    namedArgumentList: [SlashCommandNamedArgument.fromProps({ name: "suffix", typeList: [ARGUMENT_TYPE.STRING] })],
    unnamedArgumentList: [SlashCommandArgument.fromProps({ description: "text", typeList: [ARGUMENT_TYPE.STRING] })],
  }));
  MacrosParser.registerMacro("st_greeting", () => "hello " + name1);
  console.log("ready", JSON.stringify({
    name1,
    context: typeof getContext().getMessageCount,
    same: getContext() === SillyTavern.getContext(),
    events: typeof eventSource.on === "function" && event_types.MESSAGE_RECEIVED,
    settings: typeof extension_settings,
  }));
});
`;

const LOUDER = `
import { substituteParams } from "../../../../../../script.js";
import { escapeRegex } from "../../../../../utils.js";
export const louder = (text) => substituteParams(String(text)).toUpperCase() + (escapeRegex(".") === "\\\\." ? "" : "?");
`;

Deno.test("a SillyTavern extension registers a slash command and a macro, imports resolved at two depths", async () => {
  await using h = await startSandboxHarness({
    plugins: [{
      id: "st-commands",
      manifest: stManifest("Shouter"),
      files: { "index.js": COMMANDS, "lib/deep/louder.js": LOUDER, "style.css": "" },
    }],
  });
  const info = await h.waitForState("st-commands", "running").catch((e) => {
    throw new Error(
      e.message + "\n" + h.logs("st-commands").map((l) => l.text).join("\n") + h.info("st-commands").reason,
    );
  });
  assert.deepEqual(info.grants, { net: [], read: [], env: [], orderConfig: false });
  const ready = await h.result<Record<string, unknown>>("st-commands", "ready");
  assert.deepEqual(ready, {
    name1: "User",
    context: "function",
    same: true,
    events: "message_received",
    settings: "object",
  });
  const run = await h.call("runSlashCommand", "/shout hello {{user}}") as { pipe: string };
  assert.equal(run.pipe, "HELLO USER!");
  const alias = await h.call("runSlashCommand", "/yell suffix=? hi") as { pipe: string };
  assert.equal(alias.pipe, "HI?");
  const listed = await h.call("slash.list") as { name: string; helpString?: string }[];
  assert.ok(
    listed.some((c) => c.name === "shout" && /Shouts/.test(c.helpString ?? "")),
    "the UI's list offers it",
  );
  assert.equal(await h.call("substituteParams", "{{st_greeting}}!"), "hello User!");
});

/** Rewrites the prompt in CHAT_COMPLETION_PROMPT_READY, intercepts generation, keeps settings. */
const PROMPT = `
import { eventSource, event_types, saveSettingsDebounced, chat } from "../../../../script.js";
import { extension_settings } from "../../../extensions.js";

const extensionName = "st-prompt";
const defaults = { suffix: " [rewritten]", loads: 0 };
extension_settings[extensionName] = Object.assign({}, defaults, extension_settings[extensionName]);
extension_settings[extensionName].loads += 1;
saveSettingsDebounced();

eventSource.on(event_types.CHAT_COMPLETION_PROMPT_READY, (data) => {
  if (data.dryRun) return;
  data.chat[data.chat.length - 1].content += extension_settings[extensionName].suffix;
});

window.stPromptInterceptor = async function (coreChat, contextSize, abort, type) {
  console.log("intercepted", JSON.stringify({ type, size: typeof contextSize, contextSize, seen: chat.length, last: coreChat.at(-1).mes }));
  const last = coreChat[coreChat.length - 1];
  last.mes = last.mes + " (intercepted)";
  if (last.mes.includes("STOP")) abort(true);
};
console.log("loaded", JSON.stringify(extension_settings[extensionName]));
`;

const PROMPT_PLUGIN = {
  id: "st-prompt",
  manifest: stManifest("Prompt rewriter", { generate_interceptor: "stPromptInterceptor" }),
  files: { "index.js": PROMPT },
};

/** An interceptor loaded before st-prompt's: throws, aborts softly or at once, as the message asks. */
const FIRST_PLUGIN = {
  id: "st-first",
  manifest: stManifest("First interceptor", { generate_interceptor: "stFirst", loading_order: 5 }),
  files: {
    "index.js": `
globalThis.stFirst = (chat, contextSize, abort) => {
  const text = chat.at(-1).mes;
  console.log("first", JSON.stringify(text));
  if (text.includes("THROW")) throw new Error("the interceptor failed");
  if (text.includes("SOFT")) abort(false);
  if (text.includes("HARD")) abort(true);
};`,
  },
};

Deno.test("a SillyTavern extension rewrites the prompt and intercepts generation", async (t) => {
  await using g = await startGenerationHost({ plugins: [PROMPT_PLUGIN, FIRST_PLUGIN], stream: false });
  const intercepted = () => g.logs("st-prompt").filter((l) => l.startsWith("intercepted "));
  const firsts = () => g.logs("st-first").filter((l) => l.startsWith("first "));
  const lastSeen = () => JSON.parse(intercepted().at(-1)!.slice("intercepted ".length)).last;

  await t.step(
    "the interceptor's and the listener's edits reach the model, not the stored chat",
    async () => {
      g.fake.enqueue({ kind: "reply", content: "ok" });
      await g.rpc.call("sendMessage", "Hello");
      const messages = g.fake.last.body.messages as { role: string; content: string }[];
      assert.ok(messages.some((m) => m.content.includes("Hello (intercepted)")), JSON.stringify(messages));
      assert.match(messages.at(-1)!.content, / \[rewritten\]$/);
      const chat = g.lodge.chats.messages(g.lodge.context.record!.id);
      assert.equal(chat.at(-2)!.mes, "Hello");
      assert.equal(chat.at(-1)!.mes, "ok");
      const [line] = intercepted();
      const seen = JSON.parse(line.slice("intercepted ".length));
      assert.deepEqual({ type: seen.type, size: seen.size }, { type: "normal", size: "number" });
      // SillyTavern's getMaxContextSize(): the context less the response length
      const settings = g.lodge.llm.resolveSettings();
      assert.equal(
        seen.contextSize,
        Number(settings.openai_max_context) - Number(settings.openai_max_tokens),
      );
      assert.ok(seen.seen >= 2, "script.js chat reads the open chat");
      assert.equal(firsts().length, 1, "the other plugin's interceptor ran too");
    },
  );

  await t.step("in load order; one that throws is logged and the next still runs", async () => {
    g.fake.enqueue({ kind: "reply", content: "still answered" });
    const before = intercepted().length;
    const result = await g.rpc.call("sendMessage", "THROW please");
    assert.equal(result.generation?.status, "done");
    assert.equal(intercepted().length, before + 1);
    assert.equal(lastSeen(), "THROW please", "st-first (loading_order 5) ran before st-prompt (10)");
    assert.equal(g.lodge.chats.messages(g.lodge.context.record!.id).at(-1)!.mes, "still answered");
  });

  await t.step("abort(false) lets the next interceptors run, abort(true) skips them; both stop", async () => {
    const requests = g.fake.requests.length;
    let before = intercepted().length;
    const soft = await g.rpc.call("sendMessage", "SOFT stop");
    assert.equal(soft.generation?.status, "stopped");
    assert.equal(intercepted().length, before + 1, "st-prompt still ran");
    before = intercepted().length;
    const hard = await g.rpc.call("sendMessage", "HARD stop");
    assert.equal(hard.generation?.status, "stopped");
    assert.equal(intercepted().length, before, "st-prompt was skipped");
    assert.equal(g.fake.requests.length, requests, "the model was not asked");
  });

  await t.step("a quiet generation calls no interceptor (as SillyTavern 1.12.6)", async () => {
    const before = [intercepted().length, firsts().length];
    g.fake.enqueue({ kind: "reply", content: "quiet answer" });
    assert.equal(await g.rpc.call("generateQuietPrompt", "Summarize"), "quiet answer");
    assert.deepEqual([intercepted().length, firsts().length], before);
  });

  await t.step("abort() in an interceptor stops the generation before the model is asked", async () => {
    const requests = g.fake.requests.length;
    const result = await g.rpc.call("sendMessage", "please STOP");
    assert.equal(result.generation?.status, "stopped");
    assert.equal(g.fake.requests.length, requests);
  });

  await t.step("a dry run calls no interceptor", async () => {
    const before = intercepted().length;
    await g.rpc.call("generate", "normal", { dryRun: true });
    assert.equal(intercepted().length, before);
  });
});

Deno.test("extension_settings saved with saveSettingsDebounced outlive a host restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-st-settings-" });
  try {
    await writePluginFolder(dataDir, PROMPT_PLUGIN);
    const stored = (lodge: { settings: { get(): Record<string, unknown> } }) =>
      (lodge.settings.get().extension_settings as Record<string, { loads?: number }> | undefined)
        ?.["st-prompt"];
    for (const loads of [1, 2]) {
      const host = await startTestHost({ dataDir });
      try {
        const lodge = host.host.lodge;
        await waitFor(() => stored(lodge)?.loads === loads, `loads ${loads} saved`);
        assert.deepEqual(stored(lodge), { suffix: " [rewritten]", loads });
      } finally {
        await host.close();
      }
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** Imports every provided module twice: SillyTavern's short form from the root, the long form two folders down. */
function everyModule(): Record<string, string> {
  const paths = Object.keys(ST_MODULES);
  const short = (path: string) =>
    path.startsWith("scripts/") ? `../../../${path.slice(8)}` : `../../../../${path}`;
  const probe = (spec: (p: string) => string) =>
    paths.map((p, i) => `import * as m${i} from ${JSON.stringify(spec(p))};`).join("\n") +
    `\nexport const modules = { ${paths.map((p, i) => `${JSON.stringify(p)}: m${i}`).join(", ")} };`;
  return {
    "index.js": `${probe(short)}
import { modules as deep } from "./a/b/deep.js";
const report = {};
for (const [path, ns] of Object.entries(modules)) {
  report[path] = { keys: Object.keys(ns).sort(), undefinedNames: Object.keys(ns).filter((k) => ns[k] === undefined),
    sameAsDeep: Object.keys(ns).every((k) => ns[k] === deep[path][k]) };
}
console.log("modules", JSON.stringify(report));`,
    "a/b/deep.js": probe((p) => `../../../../../../${p}`),
  };
}

Deno.test("every provided module answers every name it exports, from the root and two folders down", async () => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "st-all", manifest: stManifest("All modules"), files: everyModule() }],
  });
  const report = await h.result<
    Record<string, { keys: string[]; undefinedNames: string[]; sameAsDeep: boolean }>
  >(
    "st-all",
    "modules",
  );
  for (const [path, module] of Object.entries(ST_MODULES)) {
    assert.deepEqual(report[path].keys, [...module.exports].sort(), path);
    // this_chid is undefined while no character is selected in SillyTavern too; here one is
    assert.deepEqual(report[path].undefinedNames, [], path);
    assert.equal(report[path].sameAsDeep, true, path);
  }
});

const PAGE = `
import { getRequestHeaders } from "../../../../script.js";
import { renderExtensionTemplateAsync } from "../../../extensions.js";
import { oai_settings } from "../../../openai.js";
import { chat } from "../../../../script.js";
const errors = [];
const attempt = (f) => { try { f(); errors.push("no error"); } catch (e) { errors.push(e.name + ": " + e.message); } };
attempt(() => $("#extensions_settings").append("<div>"));
attempt(() => document.getElementById("x"));
attempt(() => window.localStorage.getItem("a"));
attempt(() => $.ajax({ url: "/api/x" }));
attempt(() => { chat.push({ mes: "x" }); });
attempt(() => { oai_settings.temperature = 2; });
window.fromWindow = 3;
jQuery(() => { document.querySelector("body").append("x"); });
$(document).ready(() => console.log("second ready ran", globalThis.fromWindow));
toastr.warning("careful", "Title");
renderExtensionTemplateAsync("third-party/x", "settings").catch((e) => console.log("template", JSON.stringify(e.message)));
fetch("/csrf-token").catch((e) => console.log("fetch", JSON.stringify(e.message)));
console.log("errors", JSON.stringify(errors));
console.log("headers", JSON.stringify(getRequestHeaders()));
`;

Deno.test("jQuery and DOM calls fail naming the call; ready callbacks run; headers carry no secret", async () => {
  await using h = await startSandboxHarness({
    plugins: [
      { id: "st-page", manifest: stManifest("Page user"), files: { "index.js": PAGE } },
      {
        id: "st-missing",
        manifest: stManifest("Missing module"),
        files: { "index.js": `import { Popper } from "../../../../lib.js";` },
      },
    ],
  });
  assert.equal((await h.waitForState("st-page", "running")).state, "running");
  const errors = await h.result<string[]>("st-page", "errors");
  assert.match(errors[0], /^NoPageError: \$\("#extensions_settings"\) needs SillyTavern's page.*panel/);
  assert.match(errors[1], /^NoPageError: document\.getElementById\(\) needs SillyTavern's page/);
  assert.match(errors[2], /^NoPageError: window\.localStorage\.getItem\(\) needs/);
  assert.match(errors[3], /^NoPageError: \$\.ajax\(\) needs/);
  assert.match(errors[4], /^TypeError: .*read-only/);
  assert.match(errors[5], /^TypeError: oai_settings is read-only/);
  await h.waitForLog("st-page", /document\.querySelector\(\) needs SillyTavern's page/);
  await h.waitForLog("st-page", "second ready ran 3");
  await h.waitForLog("st-page", "[toastr.warning] Title: careful");
  const template = await h.result<string>("st-page", "template");
  assert.match(
    template,
    /renderExtensionTemplateAsync\("third-party\/x", "settings"\) needs SillyTavern's page/,
  );
  const fetched = await h.result<string>("st-page", "fetch");
  // the /api routes are served (tests/sandbox/api-fetch.test.ts); the page's other paths are not
  assert.match(
    fetched,
    /^fetch\("\/csrf-token"\) \(only SillyTavern's \/api\/\.\.\. routes are served to plugins/,
  );
  const headers = await h.result<Record<string, string>>("st-page", "headers");
  assert.deepEqual(headers, { "Content-Type": "application/json" });
  const missing = h.info("st-missing");
  assert.equal(missing.state, "refused");
  assert.match(
    missing.reason ?? "",
    /imports SillyTavern module lib\.js, which Lodge does not provide \(provided: script\.js/,
  );
});

const POPUP = `
import { callGenericPopup, POPUP_TYPE, POPUP_RESULT } from "../../../popup.js";
jQuery(async () => {
  const yes = await callGenericPopup("<b>Delete</b> the summary?", POPUP_TYPE.CONFIRM);
  console.log("confirm", JSON.stringify(yes));
  const name = await callGenericPopup("Name it:", POPUP_TYPE.INPUT, "draft", { okButton: "Save" });
  console.log("input", JSON.stringify(name));
  const late = await callGenericPopup("Nobody answers this.", POPUP_TYPE.TEXT, "", { timeoutMs: 300 });
  console.log("late", JSON.stringify(late === POPUP_RESULT.CANCELLED));
});
`;

Deno.test("callGenericPopup asks the user through the UI's dialogs and times out to a cancel", async () => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "st-popup", manifest: stManifest("Asker"), files: { "index.js": POPUP } }],
  });
  await h.waitForState("st-popup", "running");
  const next = async () => {
    let open: Record<string, unknown>[] = [];
    await waitFor(() => {
      open = h.lodge.dialogs.list() as unknown as Record<string, unknown>[];
      return open.length > 0;
    }, "a dialog");
    return open[0];
  };
  const confirm = await next();
  assert.equal(confirm.owner, "st-popup");
  assert.equal(confirm.type, 2);
  assert.equal(confirm.content, "<b>Delete</b> the summary?");
  await assert.rejects(
    () => h.callAs({ kind: "plugin", pluginId: "st-popup" }, "dialogs.answer", confirm.id, 1),
    /forbidden|admin|not allowed/i,
  );
  await h.call("dialogs.answer", confirm.id, 1);
  assert.equal(await h.result("st-popup", "confirm"), 1);
  const input = await next();
  assert.deepEqual([input.type, input.inputValue, input.okButton], [3, "draft", "Save"]);
  await h.call("dialogs.answer", input.id, "Final name");
  assert.equal(await h.result("st-popup", "input"), "Final name");
  assert.equal(await h.result("st-popup", "late"), true);
  assert.deepEqual(h.lodge.dialogs.list(), []);
});

/** Holds a reference to its settings at load; /live shows them, /liveset changes and saves one. */
const LIVE = `
import { saveSettingsDebounced } from "../../../../script.js";
import { extension_settings } from "../../../extensions.js";
import { SlashCommandParser } from "../../../slash-commands/SlashCommandParser.js";
import { SlashCommand } from "../../../slash-commands/SlashCommand.js";

extension_settings["st-live"] = Object.assign({ mood: "calm" }, extension_settings["st-live"]);
const held = extension_settings["st-live"];
SlashCommandParser.addCommandObject(SlashCommand.fromProps({
  name: "live",
  callback: () => JSON.stringify({ held, current: SillyTavern.getContext().extensionSettings["st-live"] }),
}));
SlashCommandParser.addCommandObject(SlashCommand.fromProps({
  name: "liveset",
  callback: (_args, value) => {
    held.note = String(value);
    saveSettingsDebounced();
    return "ok";
  },
}));
`;

Deno.test("extensionSettings follows a change another door saves; the plugin's own edits still persist", async () => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "st-live", manifest: stManifest("Live settings"), files: { "index.js": LIVE } }],
  });
  await h.waitForState("st-live", "running");
  const live = async () =>
    JSON.parse(((await h.call("runSlashCommand", "/live")) as { pipe: string }).pipe) as {
      held: Record<string, unknown>;
      current: Record<string, unknown>;
    };
  assert.deepEqual(await live(), { held: { mood: "calm" }, current: { mood: "calm" } });

  // The settings form's door: extension_settings["st-live"] saved by the UI.
  await h.call("settings.patch", [
    { op: "add", path: "/extension_settings", value: {} },
    { op: "add", path: "/extension_settings/st-live", value: { mood: "bright", level: 2 } },
  ]);
  for (const end = Date.now() + 20_000; (await live()).current.mood !== "bright";) {
    if (Date.now() > end) throw new Error("timed out waiting for the new value to reach the plugin");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(await live(), {
    held: { mood: "bright", level: 2 },
    current: { mood: "bright", level: 2 },
  }, "the reference the plugin kept at load sees it, and keys the store dropped are gone");

  // The plugin's own edit through saveSettingsDebounced is stored, and not undone by the echo.
  await h.call("runSlashCommand", "/liveset written by the plugin");
  const stored = () =>
    (h.lodge.settings.get().extension_settings as Record<string, Record<string, unknown>>)["st-live"];
  await waitFor(() => stored()?.note === "written by the plugin", "the plugin's save is stored");
  assert.deepEqual(stored(), { mood: "bright", level: 2, note: "written by the plugin" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual((await live()).held, { mood: "bright", level: 2, note: "written by the plugin" });
  // Another key's change leaves the plugin's value as it is.
  await h.call("settings.patch", [{ op: "add", path: "/username", value: "Robin" }]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await live()).held.note, "written by the plugin");
});
