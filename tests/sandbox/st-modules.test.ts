/**
 * The SillyTavern modules' exports do what SillyTavern's do, called the SillyTavern way from an extension
 * (relative imports from its folder, positional arguments): `script.js`'s generation helpers, live values
 * and `setExtensionPrompt` (its position and depth visible in the request the model receives),
 * `sendMessageAsUser`, `openai.js`'s `sendOpenAIRequest` and `oai_settings`, the regex engine's provider,
 * `world-info.js`, `utils.js`, `tokenizers.js`, `extensions.js`'s `writeExtensionField`, and the
 * context's `chatId`, `getCurrentChatId`, `saveChat`, `reloadCurrentChat` and `sendSystemMessage`.
 * Real host, real worker, a fake model on loopback.
 */

import assert from "node:assert/strict";
import { cyrb53 } from "../../core/worldinfo/keys.ts";
import { startGenerationHost, waitFor } from "../support/generation-host.ts";

const MODULES = `
import {
  generateQuietPrompt, generateRaw, sendMessageAsUser, setExtensionPrompt, extension_prompt_types,
  extension_prompt_roles, substituteParams, getCurrentChatId, chat, characters, this_chid, name1, name2,
} from "../../../../script.js";
import { getContext, writeExtensionField } from "../../../extensions.js";
import { sendOpenAIRequest, oai_settings } from "../../../openai.js";
import { registerManagedRegexProvider, getRegexedString, regex_placement } from "../../extensions/regex/engine.js";
import { getWorldInfoNames, loadWorldInfo, world_info_position } from "../../../world-info.js";
import { escapeRegex, getStringHash, onlyUnique, isTrueBoolean, stringFormat } from "../../../utils.js";
import { getTokenCountAsync } from "../../../tokenizers.js";

const ctx = getContext();
jQuery(() => {
  ctx.registerExtensionApi("stmod", {
    values: () => ({
      this_chid, name1, name2,
      character: characters[this_chid]?.name,
      chatLength: chat.length,
      lastMessage: chat.at(-1)?.mes,
      chatId: ctx.chatId,
      currentChatId: getCurrentChatId(),
      preset: [oai_settings.openai_max_context, oai_settings.chat_completion_source, oai_settings.stream_openai],
      sampling: {
        temp_openai: oai_settings.temp_openai,
        freq_pen_openai: oai_settings.freq_pen_openai,
        temperature: oai_settings.temperature,
        preset: oai_settings.preset_settings_openai,
      },
      substituted: substituteParams("{{char}} and {{user}}"),
    }),
    quiet: () => generateQuietPrompt("Summarize the chat", false, true),
    raw: () => generateRaw("Only this", null, false, false, "A terse system prompt"),
    openai: async () => {
      const reply = await sendOpenAIRequest("quiet", [{ role: "user", content: "Straight to the model" }]);
      return JSON.stringify(reply);
    },
    asUser: (text) => sendMessageAsUser(text),
    system: (text) => ctx.sendSystemMessage("generic", text),
    inject: (text, depth) =>
      setExtensionPrompt("stmod", text, extension_prompt_types.IN_CHAT, depth, false, extension_prompt_roles.SYSTEM),
    regex: async () => {
      const handle = registerManagedRegexProvider("stmod", { reloadOnChange: true });
      handle.upsertScript({ id: "fruit", scriptName: "Fruit", findRegex: "/apple/g", replaceString: "pear",
        placement: [regex_placement.AI_OUTPUT] });
      await handle.refresh();
      return getRegexedString("an apple a day", regex_placement.AI_OUTPUT);
    },
    world: async () => {
      const names = await getWorldInfoNames();
      const book = await loadWorldInfo("Atlas");
      return { names, keys: Object.values(book?.entries ?? {}).map((e) => e.key), atDepth: world_info_position.atDepth };
    },
    utils: () => ({
      escaped: escapeRegex("a.b*c"),
      hash: getStringHash("hello"),
      unique: ["a", "b", "a"].filter(onlyUnique),
      yes: isTrueBoolean("on"),
      formatted: stringFormat("{0} + {1}", "x", "y"),
    }),
    tokens: (text) => getTokenCountAsync(text),
    extField: async () => {
      await writeExtensionField(this_chid, "stmod", { tagged: true });
      return "ok";
    },
    saveAndReload: async () => {
      await ctx.saveChat();
      await ctx.reloadCurrentChat();
      return "ok";
    },
  });
  console.log("stmod ready");
});
`;

Deno.test("SillyTavern module exports called the SillyTavern way do their work", async (t) => {
  await using g = await startGenerationHost({
    stream: false,
    plugins: [{
      id: "stmod",
      manifest: { display_name: "Modules", loading_order: 1, requires: [], optional: [], js: "index.js" },
      files: { "index.js": MODULES },
    }],
  });
  await waitFor(() => g.lodge.extensions.get("stmod") !== undefined, "the extension's API");
  const call = <T = unknown>(method: string, ...args: unknown[]) =>
    g.rpc.call("extensions.call", "stmod", method, args) as Promise<T>;
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  const sent = () => g.fake.last.body.messages as { role: string; content: string }[];
  const snapshot = g.lodge.context.snapshot();
  const character = g.lodge.characters.all()[snapshot.characterId!];

  await t.step("script.js's live values and chat, openai.js's oai_settings, the chat's id", async () => {
    const values = await call<
      Record<string, unknown> & { preset: unknown[]; sampling: Record<string, unknown> }
    >("values");
    assert.equal(values.this_chid, snapshot.characterId);
    assert.equal(values.name2, character.name);
    assert.equal(values.character, character.name);
    assert.equal(values.name1, snapshot.name1);
    assert.equal(values.chatLength, chat().length);
    assert.equal(values.lastMessage, chat().at(-1)?.mes);
    assert.equal(values.chatId, snapshot.chatId);
    assert.equal(values.currentChatId, snapshot.chatId);
    // the live preset's fields (the names SillyTavern's preset files and oai_settings share)
    const live = g.lodge.presets.getLive("openai")!.body;
    assert.deepEqual(values.preset, [
      live.openai_max_context,
      live.chat_completion_source,
      live.stream_openai,
    ]);
    assert.equal(typeof values.preset[0], "number");
    assert.equal(values.sampling.temperature, undefined, "oai_settings has no preset-file names");
    assert.equal(values.sampling.preset, g.lodge.presets.getLive("openai")!.ref?.name);
    assert.equal(values.substituted, `${character.name} and ${snapshot.name1}`);
  });

  await t.step("oai_settings names the sampling fields as SillyTavern's oai_settings does", async () => {
    g.lodge.presets.patchLive("openai", [
      { op: "add", path: "/temperature", value: 0.35 },
      { op: "add", path: "/frequency_penalty", value: 0.2 },
    ]);
    // mirror patches reach the worker ahead of the next call
    const { sampling } = await call<{ sampling: Record<string, unknown> }>("values");
    assert.equal(sampling.temp_openai, 0.35);
    assert.equal(sampling.freq_pen_openai, 0.2);
    assert.equal(sampling.temperature, undefined);
  });

  await t.step(
    "generateQuietPrompt, generateRaw and sendOpenAIRequest with positional arguments",
    async () => {
      const before = chat().length;
      g.fake.enqueue({ kind: "reply", content: "a summary" });
      assert.equal(await call("quiet"), "a summary");
      assert.equal(sent().at(-1)!.content, "Summarize the chat");
      g.fake.enqueue({ kind: "reply", content: "raw reply" });
      assert.equal(await call("raw"), "raw reply");
      assert.deepEqual(sent(), [
        { role: "system", content: "A terse system prompt" },
        { role: "user", content: "Only this" },
      ]);
      g.fake.enqueue({ kind: "reply", content: "direct reply" });
      assert.match(await call<string>("openai"), /direct reply/);
      assert.deepEqual(sent(), [{ role: "user", content: "Straight to the model" }]);
      assert.equal(chat().length, before, "none of them writes the chat");
    },
  );

  await t.step("sendMessageAsUser and sendSystemMessage write the open chat", async () => {
    const before = chat().length;
    await call("asUser", "written by the extension");
    assert.equal(chat().length, before + 1);
    assert.deepEqual(
      [chat().at(-1)!.is_user, chat().at(-1)!.mes, chat().at(-1)!.name],
      [true, "written by the extension", snapshot.name1],
    );
    await call("system", "A note for everyone.");
    const last = chat().at(-1)!;
    assert.deepEqual([last.is_system, last.mes, (last.extra as { type?: string }).type], [
      true,
      "A note for everyone.",
      "generic",
    ]);
    assert.equal(await call("saveAndReload"), "ok");
  });

  await t.step(
    "setExtensionPrompt's IN_CHAT depth places the text in the request the model gets",
    async () => {
      await call("inject", "INJECTED at depth one", 1);
      g.fake.enqueue({ kind: "reply", content: "ok" });
      await g.rpc.call("sendMessage", "the user's turn");
      const messages = sent();
      const at = messages.findIndex((m) => m.content === "INJECTED at depth one");
      assert.ok(at > 0, JSON.stringify(messages));
      assert.equal(messages[at].role, "system");
      assert.equal(messages[at + 1].content, "the user's turn", "depth 1: before the last message");
    },
  );

  await t.step("the regex engine's provider, world-info.js, utils.js and tokenizers.js", async () => {
    assert.equal(await call("regex"), "an pear a day");
    await g.lodge.worldInfo.save("Atlas", {
      entries: { 0: { uid: 0, key: ["map"], content: "A map of the realm.", comment: "" } },
    });
    const world = await call<{ names: string[]; keys: string[][]; atDepth: number }>("world");
    assert.ok(world.names.includes("Atlas"), JSON.stringify(world));
    assert.deepEqual(world.keys, [["map"]]);
    assert.equal(world.atDepth, 4);
    assert.deepEqual(await call("utils"), {
      escaped: "a\\.b\\*c",
      hash: cyrb53("hello"),
      unique: ["a", "b"],
      yes: true,
      formatted: "x + y",
    });
    assert.equal(await call("tokens", "Hello there"), await g.rpc.call("getTokenCount", "Hello there"));
  });

  await t.step("extensions.js's writeExtensionField writes the card's extensions", async () => {
    assert.equal(await call("extField"), "ok");
    const card = g.lodge.characters.all()[snapshot.characterId!];
    assert.deepEqual((card.data?.extensions as Record<string, unknown>).stmod, { tagged: true });
  });
});
