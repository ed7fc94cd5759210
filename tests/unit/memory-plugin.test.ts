/**
 * The memory example plugin's pure part (plugins/examples/memory/memory.ts): settings and their schema,
 * the state's staleness, which messages a summary takes, and the request's messages.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../support/host.ts";
import {
  BATCH_LIMIT,
  DEFAULT_SETTINGS,
  emptyState,
  fingerprint,
  injectionPlace,
  injectionText,
  nextBatch,
  readSettings,
  readState,
  replyText,
  staleness,
  summaryMessages,
} from "../../plugins/examples/memory/memory.ts";

const chat = [
  { name: "Ann", mes: "Hello", is_user: true },
  { name: "Bob", mes: "Hi, Ann." },
  { name: "Dice", mes: "🎲 4", is_system: true },
  { name: "Ann", mes: "Shall we go?", is_user: true },
];

Deno.test("the settings schema's defaults are the plugin's defaults", async () => {
  const schema = JSON.parse(
    await Deno.readTextFile(join(REPO_ROOT, "plugins/examples/memory/settings.schema.json")),
  );
  const defaults = Object.fromEntries(
    Object.entries(schema.properties as Record<string, { default: unknown }>).map(([k, v]) => [k, v.default]),
  );
  assert.deepEqual(defaults, { ...DEFAULT_SETTINGS });
  assert.deepEqual(readSettings(defaults), { ...DEFAULT_SETTINGS });
});

Deno.test("settings out of range or of the wrong type take their defaults", () => {
  const s = readSettings({ every: 0, maxWords: "many", position: "nowhere", role: "assistant", depth: 4 });
  assert.equal(s.every, DEFAULT_SETTINGS.every);
  assert.equal(s.maxWords, DEFAULT_SETTINGS.maxWords);
  assert.equal(s.position, DEFAULT_SETTINGS.position);
  assert.deepEqual(injectionPlace({ ...s, position: "in_chat" }), { position: 1, depth: 4, role: 2 });
  assert.deepEqual(readSettings(null), { ...DEFAULT_SETTINGS });
});

Deno.test("an edit, deletion or insertion among the covered messages makes the summary stale", () => {
  const state = { ...emptyState(), covered: 2, fingerprint: fingerprint(chat, 2), summary: "s" };
  assert.equal(staleness(state, chat), null);
  assert.equal(staleness(state, [chat[0]]), "the chat has 1 messages, the summary covers 2");
  assert.match(staleness(state, [chat[0], { ...chat[1], mes: "Hi." }, ...chat.slice(2)])!, /edited/);
  assert.match(staleness(state, [chat[1], chat[0], ...chat.slice(2)])!, /edited/);
  assert.match(staleness(state, [{ name: "Cy", mes: "?" }, ...chat])!, /inserted/);
  // messages after the covered ones do not matter
  assert.equal(staleness(state, [...chat.slice(0, 2), { name: "Bob", mes: "changed" }]), null);
  assert.equal(staleness(emptyState(), []), null);
});

Deno.test("a batch is due every N messages, from the first when stale, at most BATCH_LIMIT", () => {
  const state = { ...emptyState(), covered: 10 };
  assert.equal(nextBatch(state, 19, 10), null);
  assert.deepEqual(nextBatch(state, 20, 10), { from: 10, to: 20 });
  assert.deepEqual(nextBatch(state, 12, 10, true), { from: 10, to: 12 });
  assert.equal(nextBatch(state, 10, 10, true), null);
  assert.deepEqual(nextBatch({ ...state, stale: true }, 12, 10), { from: 0, to: 12 });
  assert.deepEqual(nextBatch(state, 10 + BATCH_LIMIT + 7, 10), { from: 10, to: 10 + BATCH_LIMIT });
});

Deno.test("the request's messages: the chat lines without system notes, then the instruction", () => {
  const settings = readSettings({ maxWords: 50, prompt: "Summarize in {{words}} words." });
  assert.deepEqual(summaryMessages(chat, 1, 4, settings), [
    { role: "assistant", content: "Bob: Hi, Ann." },
    { role: "user", content: "Ann: Shall we go?" },
    { role: "system", content: "Summarize in 50 words." },
  ]);
  assert.equal(injectionText("", settings), "");
  assert.equal(injectionText("They met.", settings), "[Summary of the story so far: They met.]");
});

Deno.test("the summary is the reply's text; an empty reply is an error", () => {
  assert.equal(replyText({ choices: [{ message: { content: "  They met.\n" } }] }), "They met.");
  assert.throws(() => replyText({ choices: [{ message: { content: " " } }] }), /no summary/);
  assert.throws(() => replyText(null), /no summary/);
});

Deno.test("a stored state of another shape is read with its gaps filled", () => {
  assert.deepEqual(readState({ summary: "x", covered: -1, stale: "yes" }), { ...emptyState(), summary: "x" });
});
