/**
 * `substituteParams` over {@link PromptSources}: SillyTavern's environment (the card fields, persona,
 * `user`, `char`, `group`, `model`, `original`) for the macro engine, with chat variables from the chat's
 * metadata and global ones from the settings.
 * @module
 */

import { evaluateMacros, type MacroValue, RecordingVariables, type VariableStore } from "../macros/mod.ts";
import type { PromptSources } from "./types.ts";

/** Options of {@link createSubstituter} and `substituteParams`. */
export interface SubstituteOptions {
  /** `{{user}}`; the persona's name when absent. */
  name1?: string;
  /** `{{char}}`; the character's (or group's) name when absent. */
  name2?: string;
  /** `{{original}}` (put in once per text): the text an override replaces. */
  original?: string;
  /** `{{group}}`; the group's member names (or the character's name) when absent. */
  group?: string;
  /** Whether the card macros (`{{description}}`, `{{persona}}`, ...) are filled in (default true). */
  replaceCharacterCard?: boolean;
  /** More values, `{{name}}` → value (`substituteParamsExtended`). */
  additionalMacro?: Record<string, unknown>;
  /** Registered macros for this evaluation (a worker's own, or the host's resolved plugin macros). */
  macros?: Iterable<[string, MacroValue]>;
  /** Where variable macros read and write; a recording copy of the chat's and global ones when absent. */
  variables?: VariableStore;
  /** The clock, for tests. */
  now?: () => Date;
  /** The random source, for tests. */
  random?: () => number;
}

/**
 * SillyTavern's positional `substituteParams(content, name1, name2, original, group,
 * replaceCharacterCard, additionalMacro)` arguments as options (`null` counts as absent).
 * @example
 * substituteArgs(null, "Bob"); // { name2: "Bob" }
 */
export function substituteArgs(
  name1?: string | null,
  name2?: string | null,
  original?: string | null,
  group?: string | null,
  replaceCharacterCard?: boolean,
  additionalMacro?: Record<string, unknown>,
): SubstituteOptions {
  const entries = Object.entries({ name1, name2, original, group, replaceCharacterCard, additionalMacro });
  return Object.fromEntries(entries.filter(([, v]) => v !== null && v !== undefined));
}

/** A text → text function over one set of sources and options. */
export interface Substituter {
  (content: string, overrides?: SubstituteOptions): string;
  /** The card macros' values (`description`, `persona`, `charPrompt`, ...), worked out once. */
  fields(): Record<string, string>;
}

/** The selected character's card, or null (none selected, or a group chat without a speaker). */
export function currentCharacter(sources: PromptSources): Record<string, unknown> | null {
  const id = sources.characterId;
  return id === null || id === undefined ? null : sources.characters[id] ?? null;
}

const str = (value: unknown) => typeof value === "string" ? value : "";

/** A field of the card's V2 `data` (falling back to the flat field). */
export function cardData(character: Record<string, unknown> | null, field: string): unknown {
  if (!character) return undefined;
  const data = character.data as Record<string, unknown> | undefined;
  return data && Object.hasOwn(data, field) ? data[field] : character[field];
}

/** The `variables` object of the chat's metadata. */
export function chatVariables(sources: PromptSources): Record<string, unknown> {
  const v = sources.chat_metadata?.variables;
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};
}

/**
 * Makes a substituter: the card fields are worked out once, on first use, and shared by every text it
 * substitutes (a prompt substitutes hundreds).
 * @example
 * const substitute = createSubstituter(sources);
 * substitute("{{char}} greets {{user}}"); // "Alice greets Ann"
 */
export function createSubstituter(sources: PromptSources, base: SubstituteOptions = {}): Substituter {
  const variables = base.variables ??
    new RecordingVariables(chatVariables(sources), sources.prompt.globalVariables);
  const registered: [string, MacroValue][] = [];
  for (const [name, value] of Object.entries(sources.prompt.macros ?? {})) {
    if (typeof value === "string") registered.push([name, value]);
  }
  for (const entry of base.macros ?? []) registered.push(entry);
  let fields: Record<string, string> | null = null;

  const substitute = (content: string, overrides: SubstituteOptions = {}): string => {
    if (typeof content !== "string" || !content) return "";
    // most texts (chat messages) hold no macro: skip building the environment
    if (!content.includes("{{") && !content.includes("<")) return content;
    const o = { ...base, ...overrides };
    const name1 = o.name1 ?? sources.name1;
    const name2 = o.name2 ?? sources.name2;
    const values: Record<string, MacroValue> = {};
    if (typeof o.original === "string") {
      let used = false;
      const original = o.original;
      values.original = () => used ? "" : (used = true, original);
    }
    if (o.replaceCharacterCard !== false) {
      const card = o.name1 === undefined && o.name2 === undefined
        ? (fields ??= cardFields(sources, substitute))
        : cardFields(sources, (text) => substitute(text, { name1, name2, replaceCharacterCard: false }));
      Object.assign(values, card);
    }
    values.user = name1;
    values.char = name2;
    values.group = values.charIfNotGroup = o.group ?? groupValue(sources, name2);
    values.model = str(sources.presets?.connections?.live?.requestModel);
    if (o.additionalMacro && typeof o.additionalMacro === "object") {
      Object.assign(values, o.additionalMacro as Record<string, MacroValue>);
    }
    return evaluateMacros(content, {
      values,
      macros: registered,
      chat: sources.chat,
      chatSeed: chatSeed(sources),
      variables,
      maxPrompt: Number(sources.presets?.collections?.openai?.live?.body?.openai_max_context) || undefined,
      now: o.now,
      random: o.random,
    });
  };
  return Object.assign(substitute, { fields: () => fields ??= cardFields(sources, substitute) });
}

/** `{{group}}`: the group's member names, or the character's name outside a group. */
function groupValue(sources: PromptSources, name2: string): string {
  if (!sources.groupId) return name2;
  const group = sources.groups.find((g) => g.id === sources.groupId);
  const members = Array.isArray(group?.members) ? group.members as unknown[] : [];
  return members.map((avatar) => sources.characters.find((c) => c.avatar === avatar)?.name)
    .filter((name) => typeof name === "string" && name).join(", ");
}

/** What `{{pick}}` is seeded with: the chat's stored hash, else its main chat, else its id. */
function chatSeed(sources: PromptSources): string | number {
  const meta = sources.chat_metadata ?? {};
  if (typeof meta.chat_id_hash === "number") return meta.chat_id_hash;
  return str(meta.main_chat) || str(sources.chatId);
}

/**
 * The card macros' values (SillyTavern's `getCharacterCardFields`): each field trimmed and substituted
 * without card macros, `\r` removed; `{{charPrompt}}`/`{{charJailbreak}}` only when the settings prefer
 * the card's prompts; the chat's own scenario over the card's.
 */
function cardFields(
  sources: PromptSources,
  substitute: (content: string, overrides?: SubstituteOptions) => string,
): Record<string, string> {
  const power = sources.prompt.power_user ?? {};
  const plain = (text: unknown) => {
    const value = str(text).trim();
    if (!value) return "";
    let out = substitute(value, { replaceCharacterCard: false });
    if (power.collapse_newlines) out = out.replace(/\n+/g, "\n");
    return out.replace(/\r/g, "");
  };
  const character = currentCharacter(sources);
  const result: Record<string, string> = {
    charPrompt: "",
    charJailbreak: "",
    description: "",
    personality: "",
    scenario: "",
    persona: plain(power.persona_description),
    mesExamples: "",
    charVersion: "",
    char_version: "",
  };
  if (!character) return result;
  result.description = plain(cardData(character, "description"));
  result.personality = plain(cardData(character, "personality"));
  result.scenario = plain(str(sources.chat_metadata?.scenario) || cardData(character, "scenario"));
  result.mesExamples = plain(cardData(character, "mes_example"));
  result.mesExamplesRaw = str(cardData(character, "mes_example"));
  if (power.prefer_character_prompt !== false) {
    result.charPrompt = plain(cardData(character, "system_prompt"));
  }
  if (power.prefer_character_jailbreak !== false) {
    result.charJailbreak = plain(cardData(character, "post_history_instructions"));
  }
  result.charVersion = result.char_version = str(cardData(character, "character_version"));
  return result;
}
