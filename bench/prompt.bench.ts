/**
 * Prompt assembly benchmark: a 1,000-message chat (~60 words a message) with a 1,000-entry book
 * (1-3 plain keys, ~50-word contents, some entries at depth), SillyTavern's default chat-completion
 * preset shape and a full card, with a context of 128k tokens so nothing is dropped, and with 8k so the
 * budget cuts history. Cases: the World Info scan plus assembly (what a generation does), assembly alone
 * over given World Info results, `substituteParams` of a card-sized text, and token counting throughput
 * (distinct texts, so no count comes from the cache) with the BPE encoding and with the estimate.
 * @module
 */

import { DEFAULT_PRESET } from "../core/presets.ts";
import {
  assemblePrompt,
  chatHistory,
  createSubstituter,
  messageCounter,
  type PromptSources,
  type RuntimeWorldInfo,
} from "../core/prompt/mod.ts";
import { countTokens, loadTokenizer } from "../core/tokens/mod.ts";
import {
  buildWorldInfoChatInput,
  combineBooks,
  compileBook,
  resolveWorldInfoSettings,
  scanWorldInfo,
  type WorldInfoBook,
} from "../core/worldinfo/mod.ts";
import { Samples } from "./samples.ts";
import { textMaker } from "./words.ts";

const { random, word, sentence: text } = textMaker(11);
const keyWords = Array.from({ length: 3_000 }, word);
const sentence = (words: number, keyShare = 0) => text(words, keyWords, keyShare);

const book: WorldInfoBook = { entries: {} };
for (let uid = 0; uid < 1_000; uid++) {
  book.entries[uid] = {
    uid,
    key: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => keyWords[uid * 3 + k]),
    keysecondary: [],
    content: sentence(50),
    order: 100 + (uid % 50),
    position: uid % 10 === 0 ? 4 : uid % 2,
    depth: 1 + (uid % 5),
  };
}
const books = combineBooks({ global: [compileBook("Lore", book)] }, 1);
const wiSettings = resolveWorldInfoSettings({ world_info_depth: 4, world_info_budget: 25 });

const chat = Array.from({ length: 1_000 }, (_, i) => ({
  name: i % 2 ? "Alice" : "Ann",
  is_user: i % 2 === 0,
  is_system: false,
  send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
  mes: sentence(60, 0.01),
}));
const card = {
  name: "Alice",
  avatar: "Alice.png",
  description: `{{char}} is a fox. ${sentence(200)}`,
  personality: sentence(30),
  scenario: `{{user}} meets {{char}}. ${sentence(40)}`,
  mes_example: Array.from(
    { length: 3 },
    () => `<START>\n{{user}}: ${sentence(20)}\n{{char}}: ${sentence(30)}`,
  )
    .join("\n"),
  data: { extensions: { depth_prompt: { prompt: "{{char}} never lies.", depth: 4, role: "system" } } },
};

function sourcesWith(maxContext: number, tokenizer?: number): PromptSources {
  const body = {
    ...DEFAULT_PRESET,
    chat_completion_source: "openai",
    openai_model: "gpt-4o",
    openai_max_context: maxContext,
  };
  return {
    chat,
    characters: [card],
    characterId: 0,
    groups: [],
    groupId: null,
    name1: "Ann",
    name2: "Alice",
    chatId: "bench",
    chat_metadata: { note_prompt: "Keep {{char}} curious.", note_depth: 2 },
    presets: {
      collections: {
        openai: {
          list: [{ collection: "openai", name: "Default", origin: { kind: "global" } }],
          selected: { collection: "openai", name: "Default", origin: { kind: "global" } },
          live: { ref: null, body, source: "global", selected: true, stored: true },
          stored: [body],
        },
      },
      connections: {
        live: { requestApi: "openai", requestModel: "gpt-4o", requestUrl: null, secretId: null },
        stored: [],
      },
      toolCalling: { supported: false, skippedTypes: [] },
    },
    prompt: {
      power_user: {
        persona_description: "{{user}} is a hunter.",
        ...(tokenizer === undefined ? {} : { tokenizer }),
      },
      globalVariables: {},
      note: {},
      extensionPrompts: { memory: { value: sentence(40), position: 1, depth: 3, scan: true, role: 0 } },
      macros: {},
    },
  };
}

await loadTokenizer({ model: "gpt-4o" });
const samples = new Samples();
const large = sourcesWith(128_000);
const cut = sourcesWith(8_192);

function generate(sources: PromptSources): void {
  const count = messageCounter(sources);
  const substitute = createSubstituter(sources);
  const scan = scanWorldInfo(
    {
      chat: buildWorldInfoChatInput(sources.chat as never, true),
      maxContext: 128_000,
      books,
      settings: wiSettings,
      dryRun: true,
    },
    { countTokens: (t) => countTokens(t, { model: "gpt-4o" }), substitute, random },
  );
  assemblePrompt(
    sources,
    { history: chatHistory(sources), substituteHistory: true, worldInfo: scan.slots },
    count,
  );
}

const fixedWorldInfo: RuntimeWorldInfo = {
  worldInfoBeforeEntries: Array.from({ length: 20 }, () => sentence(50)),
  worldInfoAfterEntries: Array.from({ length: 20 }, () => sentence(50)),
  worldInfoDepth: [{ depth: 2, role: 0, entries: [sentence(50), sentence(50)] }],
};
const assembleOnly = (sources: PromptSources) => () => {
  assemblePrompt(
    sources,
    { history: chatHistory(sources), substituteHistory: true, worldInfo: fixedWorldInfo },
    messageCounter(sources),
  );
};

for (const [label, sources] of [["128k context", large], ["8k context, history cut", cut]] as const) {
  const scanName = `WI scan (1,000 entries) + assembly, 1,000 messages, ${label}`;
  Deno.bench(scanName, { group: "generation prompt" }, samples.timed(scanName, () => generate(sources)));
  const name = `assembly only, 1,000 messages, ${label}`;
  Deno.bench(name, { group: "assembly" }, samples.timed(name, assembleOnly(sources)));
}

const substitute = createSubstituter(large);
const cardText = `${card.description} {{char}} and {{user}} {{random:a,b,c}} {{getvar::x}} {{lastMessage}}`;
Deno.bench(
  "substituteParams, card-sized text",
  samples.timed("substituteParams, card-sized text", () => {
    substitute(cardText);
  }),
);

// Distinct texts per iteration: the count cache never answers.
const texts = Array.from({ length: 100 }, () => sentence(60));
let round = 0;
for (const [label, choice] of [["o200k BPE", { model: "gpt-4o" }], ["estimate", { tokenizer: 0 }]] as const) {
  const name = `count 100 distinct ~60-word texts, ${label}`;
  Deno.bench(
    name,
    { group: "tokens" },
    samples.timed(name, () => {
      round++;
      for (const text of texts) countTokens(`${round} ${text}`, choice);
    }),
  );
}

globalThis.addEventListener("unload", () => {
  for (const line of samples.lines()) console.error(line);
  const median = samples.quantile("count 100 distinct ~60-word texts, o200k BPE", 0.5);
  const words = texts.reduce((n, t) => n + t.split(" ").length, 0);
  console.error(JSON.stringify({
    name: "token counting throughput, o200k BPE",
    words_per_second: Math.round(words / median * 1000),
    texts_per_second: Math.round(texts.length / median * 1000),
  }));
});
