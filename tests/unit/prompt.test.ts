import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import { DEFAULT_PRESET, seedPresets } from "../../core/presets.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { estimateTokens } from "../../core/tokens/mod.ts";

/** SillyTavern's default chat-completion preset shape with a custom in-chat prompt and a card override. */
function presetBody(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base = structuredClone(DEFAULT_PRESET) as Record<string, unknown>;
  const prompts = base.prompts as Record<string, unknown>[];
  prompts.find((p) => p.identifier === "jailbreak")!.content = "Stay in character as {{char}}.";
  prompts.push({
    identifier: "styleGuide",
    name: "Style guide",
    system_prompt: false,
    role: "system",
    content: "Write in the present tense.",
    injection_position: 1,
    injection_depth: 1,
    injection_order: 100,
  });
  const order = (base.prompt_order as { order: { identifier: string; enabled: boolean }[] }[])[0].order;
  order.splice(order.findIndex((e) => e.identifier === "chatHistory"), 0, {
    identifier: "styleGuide",
    enabled: true,
  });
  return { ...base, chat_completion_source: "openai", openai_model: "gpt-4o-mini", ...changes };
}

const CARD = {
  name: "Alice",
  description: "{{char}} is a fox who lives in the old forest.",
  personality: "sly, curious",
  scenario: "{{user}} meets {{char}} at the forest's edge.",
  first_mes: "Oh! A visitor.",
  mes_example:
    "<START>\n{{user}}: Who are you?\n{{char}}: Just a fox, {{user}}.\n<START>\n{{char}}: *flicks her tail*",
  post_history_instructions: "",
  extensions: { depth_prompt: { prompt: "{{char}} never lies.", depth: 2, role: "system" } },
};

async function setup(options: { preset?: Record<string, unknown>; settings?: Record<string, unknown> } = {}) {
  const store = openSqliteStore(":memory:");
  seedPresets(store);
  const lodge = new Lodge(store);
  await lodge.settings.save({
    username: "Ann",
    power_user: { persona_description: "{{user}} is a hunter." },
    ...options.settings,
  });
  await lodge.presets.save({ name: "Default" }, options.preset ?? presetBody(), { select: true });
  lodge.characters.create(CARD);
  await lodge.context.selectCharacterById(0);
  await lodge.context.addMessages([
    { is_user: true, mes: "Hello there, {{char}}." },
    { is_user: false, mes: "Hello, {{user}}. What brings you here?" },
    { is_user: true, mes: "I am looking for the lost key." },
  ]);
  return lodge;
}

const WORLD_INFO = {
  worldInfoBeforeEntries: ["The forest is enchanted."],
  worldInfoAfterEntries: ["Foxes can speak."],
  worldInfoDepth: [{ depth: 0, role: 0, entries: ["The key is under the oak."] }],
  anBefore: ["[AN top]"],
  anAfter: ["[AN bottom]"],
  worldInfoExamples: [{ position: 1, content: "{{char}}: Keys? I love keys." }],
};

Deno.test("the open chat's prompt follows the preset's order, card, persona, examples and injections", async () => {
  const lodge = await setup();
  lodge.context.saveChatMetadata({
    note_prompt: "Remember: {{char}} is hungry.",
    note_depth: 1,
    note_position: 1,
  });
  lodge.prompt.state.setExtensionPrompt("memory", "Ann lost a key yesterday.", 2, 0);
  lodge.prompt.state.setExtensionPrompt("tracker", "Mood: wary.", 1, 0, false, 1);
  const { messages, history, examples } = await lodge.prompt.assembleChat({ worldInfo: WORLD_INFO });
  assert.deepEqual(messages, [
    { role: "system", content: "Ann lost a key yesterday." },
    {
      role: "system",
      content: "You are Alice. Answer Ann in character, in a few lively paragraphs, and never speak for Ann.",
    },
    { role: "system", content: "The forest is enchanted." },
    { role: "system", content: "Ann is a hunter." },
    { role: "system", content: "Alice is a fox who lives in the old forest." },
    { role: "system", content: "sly, curious" },
    { role: "system", content: "Ann meets Alice at the forest's edge." },
    { role: "system", content: "Foxes can speak." },
    { role: "system", content: "[Example conversation]" },
    { role: "system", content: "Who are you?", name: "example_user" },
    { role: "system", content: "Just a fox, Ann.", name: "example_assistant" },
    { role: "system", content: "[Example conversation]" },
    { role: "system", content: "*flicks her tail*", name: "example_assistant" },
    { role: "system", content: "[Example conversation]" },
    { role: "system", content: "Keys? I love keys.", name: "example_assistant" },
    { role: "system", content: "[A new conversation begins]" },
    { role: "assistant", content: "Oh! A visitor." },
    { role: "user", content: "Hello there, Alice." },
    // depth 2: before the last two messages
    { role: "system", content: "Alice never lies." },
    { role: "assistant", content: "Hello, Ann. What brings you here?" },
    // depth 1: the custom in-chat prompt, then the note (with World Info's top and bottom entries)
    {
      role: "system",
      content: "Write in the present tense.\n[AN top]\nRemember: Alice is hungry.\n[AN bottom]",
    },
    { role: "user", content: "I am looking for the lost key." },
    // depth 0: after the last message, user before system (system ends nearest the end)
    { role: "user", content: "Mood: wary." },
    { role: "system", content: "The key is under the oak." },
    { role: "system", content: "Stay in character as Alice." },
  ]);
  assert.deepEqual(history, { included: 8, dropped: 0 });
  assert.deepEqual(examples, { included: 4, dropped: 0 });
  lodge.close();
});

Deno.test("card overrides replace main and post-history instructions unless forbidden, with {{original}}", async () => {
  const lodge = await setup();
  const [card] = lodge.characters.all();
  await lodge.characters.edit(card.avatar, {
    system_prompt: "{{original}} Also, {{char}} speaks in riddles.",
    post_history_instructions: "Reply in one line.",
  });
  let { messages } = await lodge.prompt.assembleChat();
  assert.equal(
    messages[0].content,
    "You are Alice. Answer Ann in character, in a few lively paragraphs, and never speak for Ann. " +
      "Also, Alice speaks in riddles.",
  );
  assert.equal(messages.at(-1)!.content, "Reply in one line.");

  const forbidding = presetBody();
  for (const p of forbidding.prompts as Record<string, unknown>[]) {
    if (p.identifier === "jailbreak") p.forbid_overrides = true;
  }
  await lodge.presets.save({ name: "Default" }, forbidding, { select: true });
  ({ messages } = await lodge.prompt.assembleChat());
  assert.equal(messages.at(-1)!.content, "Stay in character as Alice.");
  lodge.close();
});

Deno.test("the Author's Note follows its interval, position and the character's own note", async () => {
  const lodge = await setup({
    settings: {
      username: "Ann",
      extension_settings: {
        note: { chara: [{ name: "Alice", prompt: "Alice's own note.", useChara: true, position: 2 }] },
      },
    },
  });
  // two user messages, interval 2: due; position 2 = before the main prompt
  lodge.context.saveChatMetadata({ note_prompt: "Chat note.", note_interval: 2, note_position: 2 });
  let { messages } = await lodge.prompt.assembleChat();
  assert.equal(messages[0].content, "Chat note.\nAlice's own note.");
  // interval 3: not due with two user messages
  lodge.context.saveChatMetadata({ note_interval: 3 });
  ({ messages } = await lodge.prompt.assembleChat());
  assert.ok(!messages.some((m) => m.content.includes("Chat note.")));
  // position 0: right after the main prompt
  lodge.context.saveChatMetadata({ note_interval: 1, note_position: 0 });
  ({ messages } = await lodge.prompt.assembleChat());
  assert.match(messages[0].content, /^You are Alice/);
  assert.equal(messages[1].content, "Chat note.\nAlice's own note.");
  lodge.close();
});

Deno.test("the budget drops the oldest history first, then examples; mandatory prompts over budget fail", async () => {
  const lodge = await setup({ settings: { username: "Ann", power_user: { tokenizer: 0 } } });
  const full = await lodge.prompt.assembleChat();
  const history = (await lodge.prompt.assembleChat()).messages.filter((m) => m.role !== "system");
  assert.equal(history.length, 4);
  // a budget that fits everything but the examples and the two oldest messages
  const count = (text: string) => estimateTokens(text);
  const fixed = full.tokens.used - full.messages.filter((m) => m.name || m.role !== "system")
    .reduce((n, m) => n + count(m.content), 0) -
    count("[Example conversation]") * 2;
  const keep = count("Hello, Ann. What brings you here?") + count("I am looking for the lost key.");
  await lodge.presets.save(
    { name: "Default" },
    presetBody({ openai_max_context: fixed + keep + 400, openai_max_tokens: 400 }),
    { select: true },
  );
  const cut = await lodge.prompt.assembleChat();
  assert.deepEqual(cut.messages.filter((m) => m.role !== "system").map((m) => m.content), [
    "Hello, Ann. What brings you here?",
    "I am looking for the lost key.",
  ]);
  assert.equal(cut.history.dropped, 2); // the two oldest chat messages; the injections above them fit
  assert.equal(cut.examples.included, 0);
  assert.ok(cut.tokens.used <= cut.tokens.budget);

  await lodge.presets.save(
    { name: "Default" },
    presetBody({ openai_max_context: 420, openai_max_tokens: 400 }),
    { select: true },
  );
  await assert.rejects(lodge.prompt.assembleChat(), /budget/);
  lodge.close();
});

Deno.test("buildPresetAwarePromptMessages puts the plugin's messages in the history's place", async () => {
  const lodge = await setup();
  const messages = await lodge.prompt.buildPresetAwarePromptMessages({
    messages: [
      { role: "system", content: "Analyse the memory of {{char}}." },
      { role: "user", content: "What happened?" },
    ],
    envelopeOptions: { includeCharacterCard: false },
    runtimeWorldInfo: { worldInfoBeforeEntries: ["WI before"], worldInfoDepth: [] },
  });
  assert.deepEqual(messages.map((m) => m.content), [
    "You are Alice. Answer Ann in character, in a few lively paragraphs, and never speak for Ann.",
    "WI before",
    "Ann is a hunter.",
    "[A new conversation begins]",
    "Analyse the memory of {{char}}.",
    "Write in the present tense.",
    "What happened?",
    "Stay in character as Alice.",
  ]);
  await assert.rejects(
    lodge.prompt.buildPresetAwarePromptMessages({ messages: [{ role: "narrator", content: "x" }] }),
    /valid role/,
  );
  await assert.rejects(
    lodge.prompt.buildPresetAwarePromptMessages({ messages: [], promptPresetName: "Nope" }),
    /no chat-completion preset/,
  );
  lodge.close();
});

Deno.test("substituteParams saves variable writes into the chat and the settings", async () => {
  const lodge = await setup();
  assert.equal(await lodge.prompt.substituteParams("{{setvar::door::open}}{{setglobalvar::runs::1}}"), "");
  assert.equal(await lodge.prompt.substituteParams("{{getvar::door}} {{incglobalvar::runs}}"), "open 2");
  assert.deepEqual(lodge.context.record!.metadata.variables, { door: "open" });
  const settings = lodge.settings.get() as { extension_settings: { variables: { global: unknown } } };
  assert.deepEqual(settings.extension_settings.variables.global, { runs: 2 });
  assert.equal(
    await lodge.prompt.substituteParams("{{description}}"),
    "Alice is a fox who lives in the old forest.",
  );
  lodge.close();
});

Deno.test("a group chat's prompt uses the speaker's card, the group's names and the group nudge", async () => {
  const lodge = await setup();
  const bob = lodge.characters.create({ name: "Bob", description: "{{char}} is a badger." });
  const [alice] = lodge.characters.all();
  const group = await lodge.characters.createGroup({ name: "Forest", members: [alice.avatar, bob.avatar] });
  await lodge.context.openGroupChat(String(group.id));
  await lodge.context.addMessages({ is_user: true, mes: "Hi both." });
  const { messages } = await lodge.prompt.assembleChat({ character: bob });
  const contents = messages.map((m) => m.content);
  assert.ok(contents.includes("Bob is a badger."));
  assert.ok(contents.includes("[A new group conversation begins with Alice, Bob]"));
  assert.equal(contents.at(-2), "[Reply as Bob only.]");
  assert.equal(contents.at(-1), "Stay in character as Bob.");
  lodge.close();
});
