/**
 * Chat-completion prompt assembly (SillyTavern's `prepareOpenAIMessages` over its prompt manager): the
 * preset's `prompt_order` (the character's, else the global one) over its `prompts`, the markers filled
 * from the card, persona and World Info, the card's overrides, relative and in-chat injections (custom
 * prompts, extension prompts, the Author's Note, World Info at depth), example dialogue and chat history
 * within the token budget `openai_max_context - openai_max_tokens`, oldest history dropped first.
 *
 * Pure: the sources are plain data, the token counter is passed in.
 * @module
 */

import type { GroupDepthPrompt } from "./group-cards.ts";
import { invalid } from "../errors.ts";
import { nameKey } from "../names.ts";
import type { MacroValue, VariableStore } from "../macros/mod.ts";
import { parseExampleBlock, splitExampleBlocks } from "./examples.ts";
import {
  AUTHORS_NOTE_KEY,
  effectiveExtensionPrompts,
  extensionPromptText,
  PersonaPosition,
} from "./injections.ts";
import { createSubstituter, currentCharacter } from "./substitute.ts";
import {
  type ExtensionPrompt,
  ExtensionPromptPosition,
  MAX_INJECTION_DEPTH,
  type PromptMessage,
  type PromptSources,
  type RuntimeWorldInfo,
} from "./types.ts";

/** Counts the tokens one message takes in a request. */
export type MessageCounter = (message: PromptMessage) => number;

/** What to assemble. */
export interface AssembleInput {
  /** The chat history, oldest first. */
  history: PromptMessage[];
  /** Whether macros in the history are expanded (the open chat's are, as SillyTavern does). */
  substituteHistory?: boolean;
  /** Whether the card's fields, examples, overrides and depth prompt go in (default true). */
  includeCharacterCard?: boolean;
  /** A saved `openai` preset to take the prompts and budget from; the live one when absent. */
  presetName?: string;
  /** World Info results; none when absent. */
  worldInfo?: RuntimeWorldInfo | null;
  /** The generation type: `impersonate`, `quiet` and `continue` add their control prompts. */
  type?: string;
  /** The instruction of a quiet generation, sent last. */
  quietPrompt?: string;
  /** A join-mode group's depth prompts, in place of the speaking card's own. */
  groupDepthPrompts?: readonly GroupDepthPrompt[];
  /** Macros resolved for this assembly (plugin macros, a worker's own). */
  macros?: Iterable<[string, MacroValue]>;
  /** Where variable macros read and write. */
  variables?: VariableStore;
  /** Merge consecutive unnamed system messages (the preset's `squash_system_messages` when absent). */
  squash?: boolean;
  /** The clock, for tests. */
  now?: () => Date;
  /** The random source, for tests. */
  random?: () => number;
}

/** What assembly gives back. */
export interface AssembleResult {
  messages: PromptMessage[];
  /** Per message: the prompt part it came from (`main`, `charDescription`, `chatHistory`, ...) and its tokens. */
  parts: { identifier: string; tokens: number }[];
  tokens: { maxContext: number; maxTokens: number; budget: number; used: number };
  /** History messages (injections included) sent and left out for the budget. */
  history: { included: number; dropped: number };
  /** Example messages sent and left out. */
  examples: { included: number; dropped: number };
}

interface PromptDef {
  identifier: string;
  role?: string;
  content?: string;
  system_prompt?: boolean;
  marker?: boolean;
  injection_position?: number;
  injection_depth?: number;
  injection_order?: number;
  forbid_overrides?: boolean;
  [key: string]: unknown;
}

interface Item {
  identifier: string;
  message: PromptMessage;
  tokens: number;
}

/** The prompt-manager ids that are added when enabled (besides custom, non-system prompts). */
const ADDED = [
  "worldInfoBefore",
  "main",
  "worldInfoAfter",
  "charDescription",
  "charPersonality",
  "scenario",
  "personaDescription",
  "nsfw",
  "jailbreak",
  "enhanceDefinitions",
];
/** SillyTavern's extension prompts that go relative to the main prompt first, in this order. */
const KNOWN_RELATIVE = ["1_memory", AUTHORS_NOTE_KEY, "3_vectors", "4_vectors_data_bank", "chromadb"];
/** Extension prompts never placed relative to the main prompt. */
const NEVER_RELATIVE = new Set(["PERSONA_DESCRIPTION", "QUIET_PROMPT", "DEPTH_PROMPT"]);
/** The prompt order SillyTavern's global strategy uses. */
const GLOBAL_ORDER_ID = 100001;
/** `names_behavior` values. */
const Names = Object.freeze({ NONE: -1, DEFAULT: 0, COMPLETION: 1, CONTENT: 2 });
/** In-chat prompt roles, least important first (the last one ends up nearest the end). */
const ROLES = ["system", "user", "assistant"] as const;
/** Marks history items that are injections, not chat messages. */
const INJECTED = "injected";

/** The preset body assembly uses: a saved one by name, else the live one. */
export function promptPreset(sources: PromptSources, name?: string): Record<string, unknown> {
  const openai = sources.presets?.collections?.openai;
  if (name !== undefined && name !== "") {
    const list = openai?.list ?? [];
    let index = list.findIndex((ref) => ref.name === name);
    if (index < 0) index = list.findIndex((ref) => nameKey(ref.name) === nameKey(name));
    if (index < 0) throw invalid(`no chat-completion preset named ${name}`);
    return openai.stored[index];
  }
  return openai?.live?.body ?? {};
}

/** The prompt order for the character (by index or avatar), else the global one, else the first. */
function promptOrder(preset: Record<string, unknown>, sources: PromptSources) {
  const orders = Array.isArray(preset.prompt_order) ? preset.prompt_order as Record<string, unknown>[] : [];
  const valid = orders.filter((o) => o && Array.isArray(o.order));
  const avatar = currentCharacter(sources)?.avatar;
  const chosen = valid.find((o) => sources.characterId !== null && o.character_id === sources.characterId) ??
    valid.find((o) => avatar !== undefined && o.character_id === avatar) ??
    valid.find((o) => o.character_id === GLOBAL_ORDER_ID) ?? valid[0];
  if (!chosen) throw invalid("the preset has no valid prompt_order");
  return (chosen.order as Record<string, unknown>[])
    .filter((e) => e && typeof e.identifier === "string")
    .map((e) => ({ identifier: e.identifier as string, enabled: e.enabled !== false }));
}

const text = (value: unknown) => typeof value === "string" ? value : "";
const roleName = (role: number) => role === 1 ? "user" : role === 2 ? "assistant" : "system";

/**
 * Assembles a chat-completion prompt.
 * @example
 * const { messages } = assemblePrompt(sources, { history: [{ role: "user", content: "Hi" }] }, count);
 */
export function assemblePrompt(
  sources: PromptSources,
  input: AssembleInput,
  count: MessageCounter,
): AssembleResult {
  const includeCard = input.includeCharacterCard !== false;
  const cardSources = includeCard ? sources : { ...sources, characterId: null };
  const preset = promptPreset(sources, input.presetName);
  const order = promptOrder(preset, sources);
  const defs = new Map<string, PromptDef>();
  for (const p of Array.isArray(preset.prompts) ? preset.prompts as PromptDef[] : []) {
    if (p && typeof p.identifier === "string") defs.set(p.identifier, p);
  }
  const substitute = createSubstituter(cardSources, {
    macros: withOutlets(input.macros, input.worldInfo),
    variables: input.variables,
    now: input.now,
    random: input.random,
  });
  const fields = substitute.fields();
  const power = sources.prompt.power_user ?? {};
  const wi = input.worldInfo ?? {};

  // The prompt collection: enabled order entries (a disabled main stays, empty, for relative inserts).
  const collection = new Map<string, PromptDef>();
  for (const entry of order) {
    const def = defs.get(entry.identifier);
    if (!def) continue;
    if (entry.enabled) collection.set(entry.identifier, { ...def, content: substitute(text(def.content)) });
    else if (entry.identifier === "main") collection.set("main", { ...def, content: "" });
  }
  const formatWorldInfo = (value: string) => {
    const format = text(preset.wi_format);
    return !value ? "" : format.trim() ? format.replaceAll("{0}", value) : value;
  };
  const personaText = fields.persona && Number(power.persona_description_position ?? 0) ===
      PersonaPosition.IN_PROMPT
    ? substitute(text(power.persona_description))
    : "";
  const markers: Record<string, string> = {
    worldInfoBefore: formatWorldInfo((wi.worldInfoBeforeEntries ?? []).join("\n")),
    worldInfoAfter: formatWorldInfo((wi.worldInfoAfterEntries ?? []).join("\n")),
    charDescription: fields.description,
    charPersonality: fields.personality && text(preset.personality_format)
      ? substitute(text(preset.personality_format))
      : "",
    scenario: fields.scenario && text(preset.scenario_format) ? substitute(text(preset.scenario_format)) : "",
    personaDescription: personaText,
  };
  for (const [identifier, content] of Object.entries(markers)) {
    const placed = collection.get(identifier);
    if (placed) collection.set(identifier, { ...placed, role: placed.role ?? "system", content });
  }
  // The card's own main prompt and post-history instructions, unless the preset forbids it.
  for (const [identifier, override] of [["main", fields.charPrompt], ["jailbreak", fields.charJailbreak]]) {
    const placed = collection.get(identifier);
    if (override && placed && placed.forbid_overrides !== true) {
      collection.set(identifier, { ...placed, content: substitute(override, { original: placed.content }) });
    }
  }

  const extension = effectiveExtensionPrompts(sources, input.worldInfo, {
    includeCharacterCard: includeCard,
    substitute: (t) => substitute(t, { replaceCharacterCard: false }),
    groupDepthPrompts: input.groupDepthPrompts,
  });
  const maxContext = Number(preset.openai_max_context) || 4095;
  const maxTokens = Number(preset.openai_max_tokens) || 0;
  const budget = maxContext - maxTokens;
  let used = 3; // every reply is primed with the assistant's header
  const item = (identifier: string, message: PromptMessage): Item => ({
    identifier,
    message,
    tokens: message.content || message.tool_calls ? count(message) : 0,
  });
  const take = (items: Item[]) => {
    for (const i of items) used += i.tokens;
  };
  const fits = (i: Item) => used + i.tokens <= budget;

  // Fixed prompts: the markers, main and the custom relative prompts, by their place in the order.
  const slots = new Map<string, Item[]>();
  for (const [identifier, def] of collection) {
    if (def.injection_position === 1) continue;
    if (identifier === "chatHistory" || identifier === "dialogueExamples") continue;
    if (!ADDED.includes(identifier) && def.system_prompt !== false) continue;
    slots.set(identifier, [item(identifier, { role: def.role ?? "system", content: text(def.content) })]);
  }
  const main = slots.get("main");
  if (main) {
    const relative = [
      ...KNOWN_RELATIVE.filter((key) => extension[key]),
      ...Object.keys(extension).filter((key) => !KNOWN_RELATIVE.includes(key) && !NEVER_RELATIVE.has(key)),
    ];
    for (const key of relative) {
      const p = extension[key];
      if (!p.value) continue;
      const where = p.position === ExtensionPromptPosition.BEFORE_PROMPT
        ? "start"
        : p.position === ExtensionPromptPosition.IN_PROMPT
        ? "end"
        : null;
      if (!where) continue;
      const insert = item(key, { role: roleName(p.role), content: substitute(p.value) });
      if (where === "start") main.unshift(insert);
      else main.push(insert);
    }
  }
  for (const items of slots.values()) take(items);

  const control: Item[] = [];
  if (input.type === "impersonate" && text(preset.impersonation_prompt)) {
    control.push(
      item("impersonate", { role: "system", content: substitute(text(preset.impersonation_prompt)) }),
    );
  }
  if (input.quietPrompt) control.push(item("quietPrompt", { role: "system", content: input.quietPrompt }));
  take(control);
  if (used > budget) {
    throw invalid(
      `the prompts outside chat history need ${used} tokens, more than the budget of ${budget} ` +
        "(openai_max_context minus openai_max_tokens): raise the context or disable prompts",
    );
  }

  // History with in-chat injections, newest first.
  const names = Number(preset.names_behavior ?? Names.DEFAULT);
  const pool: Item[] = input.history.map((m) => {
    const content = input.substituteHistory ? substitute(m.content) : m.content;
    const message: PromptMessage = { ...m, content };
    if (names !== Names.COMPLETION && m.role !== "tool") delete message.name;
    else if (message.name) message.name = sanitizeName(message.name);
    return item("chatHistory", message);
  }).reverse();
  const absolute = [...collection.values()].filter((p) => p.injection_position === 1);
  injectInChat(pool, absolute, extension, substitute, item);

  const historySlot: Item[] = [];
  const exampleSlot: Item[] = [];
  const historyStats = { included: 0, dropped: 0 };
  const exampleStats = { included: 0, dropped: 0 };
  const fillHistory = () => {
    if (!collection.has("chatHistory")) return;
    const newChat = item("newMainChat", {
      role: "system",
      content: substitute(text(sources.groupId ? preset.new_group_chat_prompt : preset.new_chat_prompt)),
    });
    const groupNudge = sources.groupId && input.type !== "impersonate" && text(preset.group_nudge_prompt)
      ? item("groupNudge", { role: "system", content: substitute(text(preset.group_nudge_prompt)) })
      : null;
    const last = input.history.at(-1);
    const prefill = input.type === "continue" && preset.continue_prefill === true;
    const continueNudge = input.type === "continue" && !prefill && last && text(preset.continue_nudge_prompt)
      ? item("continueNudge", {
        role: "system",
        content: substitute(text(preset.continue_nudge_prompt), {
          additionalMacro: { lastChatMessage: last.content.trim() },
        }),
      })
      : null;
    const reserved = [newChat, groupNudge, continueNudge].filter((i): i is Item => i !== null);
    take(reserved);
    const lastPrompt = pool.find((i) => i.identifier !== INJECTED);
    const ifEmpty = text(preset.send_if_empty);
    if (lastPrompt?.message.role === "assistant" && ifEmpty) {
      const filler = item("emptyUserMessageReplacement", { role: "user", content: ifEmpty });
      if (fits(filler)) {
        take([filler]);
        historySlot.push(filler);
      }
    }
    let prefillItem: Item | null = null;
    let index = 0;
    for (; index < pool.length; index++) {
      const candidate = pool[index];
      if (!fits(candidate)) break;
      take([candidate]);
      if (prefill && candidate === lastPrompt) prefillItem = candidate;
      else historySlot.unshift(candidate);
    }
    historyStats.included = index;
    historyStats.dropped = pool.length - index;
    historySlot.unshift(newChat);
    if (groupNudge) historySlot.push(groupNudge);
    if (continueNudge) historySlot.push(continueNudge);
    if (prefillItem) control.unshift(prefillItem);
  };
  const fillExamples = () => {
    if (!collection.has("dialogueExamples") || power.strip_examples === true || !includeCard) return;
    const blocks = exampleBlocks(sources, fields.mesExamples, wi, substitute);
    const header = text(preset.new_example_chat_prompt);
    for (const block of blocks) {
      const heading = item("newChat", { role: "system", content: substitute(header) });
      const start = exampleSlot.length;
      if (fits(heading)) {
        take([heading]);
        exampleSlot.push(heading);
      }
      let added = 0;
      for (const message of block) {
        const example = item("dialogueExamples", message);
        if (!fits(example)) break;
        take([example]);
        exampleSlot.push(example);
        added++;
      }
      exampleStats.included += added;
      exampleStats.dropped += block.length - added;
      if (added === 0 && exampleSlot.length > start) used -= exampleSlot.pop()!.tokens;
    }
  };
  if (power.pin_examples === true || preset.pin_examples === true) {
    fillExamples();
    fillHistory();
  } else {
    fillHistory();
    fillExamples();
  }
  slots.set("chatHistory", historySlot);
  slots.set("dialogueExamples", exampleSlot);

  const out: Item[] = [];
  for (const identifier of collection.keys()) out.push(...slots.get(identifier) ?? []);
  out.push(...control);
  let messages = out.filter((i) => i.message.content || i.message.tool_calls).map((i) => i);
  if (input.squash ?? preset.squash_system_messages === true) messages = squash(messages);
  return {
    messages: messages.map((i) => i.message),
    parts: messages.map((i) => ({ identifier: i.identifier, tokens: i.tokens })),
    tokens: { maxContext, maxTokens, budget, used },
    history: historyStats,
    examples: exampleStats,
  };
}

/** Puts the card's example blocks (and World Info's example entries around them) into messages. */
function exampleBlocks(
  sources: PromptSources,
  mesExamples: string,
  wi: RuntimeWorldInfo,
  substitute: (t: string, o?: { replaceCharacterCard?: boolean }) => string,
): PromptMessage[][] {
  const blocks = splitExampleBlocks(mesExamples);
  for (const example of wi.worldInfoExamples ?? []) {
    if (!example?.content) continue;
    const parsed = splitExampleBlocks(substitute(example.content, { replaceCharacterCard: false }));
    if (example.position === 0) blocks.unshift(...parsed);
    else blocks.push(...parsed);
  }
  return blocks.map((block) => parseExampleBlock(block, sources.name1, sources.name2, !!sources.groupId));
}

/**
 * Splices the in-chat prompts into the newest-first history: at each depth, per role (system, user,
 * assistant), the absolute custom prompts (by `injection_order`, then order) and the extension prompts
 * of that depth and role, as one message.
 */
function injectInChat(
  pool: Item[],
  absolute: PromptDef[],
  extension: Record<string, ExtensionPrompt>,
  substitute: (t: string) => string,
  item: (identifier: string, message: PromptMessage) => Item,
): void {
  const depths = new Set<number>();
  for (const p of absolute) if (p.content) depths.add(Number(p.injection_depth ?? 4));
  for (const p of Object.values(extension)) {
    if (p.position === ExtensionPromptPosition.IN_CHAT && p.value) depths.add(p.depth);
  }
  let inserted = 0;
  for (const depth of [...depths].filter((d) => d >= 0 && d <= MAX_INJECTION_DEPTH).sort((a, b) => a - b)) {
    const here = absolute.filter((p) => p.content && Number(p.injection_depth ?? 4) === depth)
      .map((p, i) => ({ p, i }))
      .sort((a, b) => (Number(a.p.injection_order ?? 100) - Number(b.p.injection_order ?? 100)) || a.i - b.i)
      .map(({ p }) => p);
    const messages: Item[] = [];
    ROLES.forEach((role, roleId) => {
      const custom = here.filter((p) => (p.role ?? "system") === role).map((p) => text(p.content)).join("\n");
      const ext = extensionPromptText(extension, ExtensionPromptPosition.IN_CHAT, depth, roleId);
      const joint = [custom, ext ? substitute(ext) : ""].filter((x) => x).map((x) => x.trim()).join("\n");
      if (joint) messages.push(item(INJECTED, { role, content: joint }));
    });
    if (messages.length === 0) continue;
    pool.splice(depth + inserted, 0, ...messages);
    inserted += messages.length;
  }
}

/** Adds `{{outlet::name}}` values for World Info's outlet entries to the macros. */
function withOutlets(
  macros: Iterable<[string, MacroValue]> | undefined,
  worldInfo: RuntimeWorldInfo | null | undefined,
): Iterable<[string, MacroValue]> {
  const list: [string, MacroValue][] = [...macros ?? []];
  const outlets = worldInfo?.outletEntries;
  if (outlets && typeof outlets === "object") {
    for (const [name, entries] of Object.entries(outlets)) {
      if (Array.isArray(entries)) list.push([`outlet::${name}`, entries.join("\n")]);
    }
  }
  return list;
}

/** A message name OpenAI accepts: letters, digits, `_` and `-`, at most 64. */
function sanitizeName(name: string): string {
  return name.normalize("NFD").replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
}

/** Merges consecutive unnamed system messages (not the chat and example headings or the group nudge). */
function squash(items: Item[]): Item[] {
  const keep = new Set(["newMainChat", "newChat", "groupNudge"]);
  const out: Item[] = [];
  for (const i of items) {
    const prev = out.at(-1);
    const mergeable = (x: Item) => x.message.role === "system" && !x.message.name && !keep.has(x.identifier);
    if (prev && mergeable(prev) && mergeable(i)) {
      prev.message = { ...prev.message, content: `${prev.message.content}\n${i.message.content}` };
    } else out.push({ ...i });
  }
  return out;
}
