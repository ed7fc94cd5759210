/**
 * The macro evaluator: SillyTavern's `{{...}}` set, applied in SillyTavern's order so the same text gives
 * the same result (a value put in by an earlier step is seen by the later ones, e.g. `{{char}}` inside
 * `{{description}}`). Names match ignoring case. Pure: everything it reads comes in the
 * {@link MacroEnvironment}; variable writes go to its {@link VariableStore}.
 * @module
 */

import type { ChatMessage } from "../store.ts";
import { type MacroValue, sanitizeMacroValue } from "./registry.ts";
import { rollDice, seededRandom, splitChoices, stringHash } from "./random.ts";
import {
  formatDate,
  formatIsoDate,
  formatIsoTime,
  formatTime,
  formatWeekday,
  humanizeDuration,
  parseSendDate,
} from "./time.ts";
import { replaceVariableMacros, type VariableStore } from "./variables.ts";

/** Everything one evaluation reads. */
export interface MacroEnvironment {
  /**
   * Named values in substitution order (`{{name}}` → value; functions are called per occurrence with the
   * evaluation's nonce): the card fields, `user`, `char`, `group`, `model`, `original`, extras.
   */
  values?: Record<string, MacroValue>;
  /** Registered macros, substituted with the values (a registered name replaces a value's). */
  macros?: Iterable<[string, MacroValue]>;
  /** The chat the message macros (`{{lastMessage}}`, `{{idle_duration}}`, ...) read. */
  chat?: readonly ChatMessage[];
  /** Seeds `{{pick}}`: the chat's identity (SillyTavern's `chat_id_hash`, else its main chat or id). */
  chatSeed?: string | number;
  /** Chat and global variables; without one the variable macros read nothing and write nowhere. */
  variables?: VariableStore;
  /** `{{maxPrompt}}`. */
  maxPrompt?: number;
  /** The clock (`{{time}}`, `{{date}}`, `{{idle_duration}}`); `new Date()` when absent. */
  now?: () => Date;
  /** `{{random}}` and `{{roll}}`; `Math.random` when absent. */
  random?: () => number;
  /** Receives the words of `{{banned "..."}}` (the macro itself is removed). */
  onBanned?: (text: string) => void;
}

const EMPTY_STORE: VariableStore = { get: () => undefined, set: () => {} };

/**
 * Expands the macros of a text.
 * @example
 * evaluateMacros("{{user}} greets {{char}}.{{// a note}}", { values: { user: "Ann", char: "Bob" } });
 * // "Ann greets Bob."
 */
export function evaluateMacros(content: string, env: MacroEnvironment = {}): string {
  if (typeof content !== "string" || !content) return "";
  if (!content.includes("{{") && !content.includes("<")) return content;
  const raw = content;
  const values = { ...env.values };
  const call = (key: string) => valueText(values[key], "");
  content = content
    .replace(/<USER>/gi, () => call("user"))
    .replace(/<BOT>/gi, () => call("char"))
    .replace(/<CHAR>/gi, () => call("char"))
    .replace(/<CHARIFNOTGROUP>/gi, () => call("group"))
    .replace(/<GROUP>/gi, () => call("group"));
  if (!content.includes("{{")) return content;

  const random = env.random ?? Math.random;
  const chat = env.chat ?? [];
  const now = env.now ?? (() => new Date());
  content = content.replace(/{{roll[ :]([^}]+)}}/gi, (_, formula: string) => {
    const total = rollDice(formula, random);
    return total === null ? "" : String(total);
  });
  content = replaceVariableMacros(content, env.variables ?? EMPTY_STORE);
  content = content
    .replace(/{{newline}}/gi, "\n")
    .replace(/(?:\r?\n)*{{trim}}(?:\r?\n)*/gi, "")
    .replace(/{{noop}}/gi, "");

  const nonce = crypto.randomUUID();
  for (const [key, value] of env.macros ?? []) values[key] = value;
  content = substituteValues(content, values, nonce);

  content = content
    .replace(/{{maxPrompt}}/gi, () => String(env.maxPrompt ?? ""))
    .replace(/{{lastMessage}}/gi, () => text(lastMessage(chat)?.mes))
    .replace(/{{lastMessageId}}/gi, () => String(lastMessageId(chat) ?? ""))
    .replace(/{{lastUserMessage}}/gi, () => text(lastMessage(chat, (m) => !!m.is_user && !m.is_system)?.mes))
    .replace(/{{lastCharMessage}}/gi, () => text(lastMessage(chat, (m) => !m.is_user && !m.is_system)?.mes))
    .replace(/{{lastSwipeId}}/gi, () => {
      const swipes = lastMessage(chat, undefined, true)?.swipes;
      return Array.isArray(swipes) ? String(swipes.length) : "";
    })
    .replace(/{{currentSwipeId}}/gi, () => {
      const id = lastMessage(chat, undefined, true)?.swipe_id;
      return typeof id === "number" ? String(id + 1) : "";
    })
    .replace(/{{reverse:(.+?)}}/gi, (_, text: string) => Array.from(text).reverse().join(""))
    .replace(/{{\/\/([\s\S]*?)}}/gm, "")
    .replace(/{{time}}/gi, () => formatTime(now()))
    .replace(/{{date}}/gi, () => formatDate(now()))
    .replace(/{{weekday}}/gi, () => formatWeekday(now()))
    .replace(/{{isotime}}/gi, () => formatIsoTime(now()))
    .replace(/{{isodate}}/gi, () => formatIsoDate(now()))
    .replace(/{{idle_duration}}/gi, () => idleDuration(chat, now()))
    .replace(/{{time_UTC([-+]\d+)}}/gi, (_, offset: string) => {
      const shifted = new Date(now().getTime() + Number.parseInt(offset, 10) * 3_600_000);
      const h = shifted.getUTCHours();
      const mm = String(shifted.getUTCMinutes()).padStart(2, "0");
      return `${h % 12 === 0 ? 12 : h % 12}:${mm} ${h < 12 ? "AM" : "PM"}`;
    })
    .replace(/{{timeDiff::(.*?)::(.*?)}}/gi, (_, a: string, b: string) => {
      const first = parseSendDate(a), second = parseSendDate(b);
      if (!first || !second) return "";
      const diff = first.getTime() - second.getTime();
      return diff >= 0 ? `in ${humanizeDuration(diff)}` : `${humanizeDuration(diff)} ago`;
    })
    .replace(/{{banned "(.*)"}}/gi, (_, text: string) => {
      env.onBanned?.(text);
      return "";
    })
    .replace(/{{random\s?::?([^}]+)}}/gi, (_, list: string) => {
      const choices = splitChoices(list);
      return choices[Math.floor(random() * choices.length)] ?? "";
    });
  const chatHash = typeof env.chatSeed === "number" ? env.chatSeed : stringHash(String(env.chatSeed ?? ""));
  const rawHash = stringHash(raw);
  return content.replace(/{{pick\s?::?([^}]+)}}/gi, (_, list: string, offset: number) => {
    const choices = splitChoices(list);
    const pick = seededRandom(stringHash(`${chatHash}-${rawHash}-${offset}`));
    return choices[Math.floor(pick() * choices.length)] ?? "";
  });
}

/** A value's text: functions are called with the nonce; the result sanitized as SillyTavern does. */
function valueText(value: MacroValue | undefined, nonce: string): string {
  return sanitizeMacroValue(typeof value === "function" ? value(nonce) : value);
}

/**
 * Replaces `{{name}}` for every value, in order, ignoring case. A name absent from the text costs one
 * search; the lowered copy is refreshed only after a replacement.
 */
function substituteValues(content: string, values: Record<string, MacroValue>, nonce: string): string {
  let lower = content.toLowerCase();
  for (const key of Object.keys(values)) {
    const token = `{{${key.toLowerCase()}}}`;
    if (!lower.includes(token)) continue;
    const value = values[key];
    let out = "";
    let from = 0;
    for (let at = lower.indexOf(token); at >= 0; at = lower.indexOf(token, from)) {
      out += content.slice(from, at) + valueText(value, nonce);
      from = at + token.length;
    }
    content = out + content.slice(from);
    lower = content.toLowerCase();
  }
  return content;
}

const text = (value: unknown) => typeof value === "string" ? value : "";

/** The last message passing `filter`, skipping one whose swipe is still being written unless asked. */
function lastMessage(
  chat: readonly ChatMessage[],
  filter?: (m: ChatMessage) => boolean,
  includeSwiping = false,
): ChatMessage | undefined {
  const id = lastMessageId(chat, filter, includeSwiping);
  return id === null ? undefined : chat[id];
}

function lastMessageId(
  chat: readonly ChatMessage[],
  filter?: (m: ChatMessage) => boolean,
  includeSwiping = false,
): number | null {
  for (let i = chat.length - 1; i >= 0; i--) {
    const m = chat[i];
    const swiping = Array.isArray(m.swipes) && typeof m.swipe_id === "number" &&
      m.swipe_id >= m.swipes.length;
    if (swiping && !includeSwiping) continue;
    if (!filter || filter(m)) return i;
  }
  return null;
}

/** Time since the user's message before the last non-system message ("just now" when none). */
function idleDuration(chat: readonly ChatMessage[], now: Date): string {
  let takeNext = false;
  for (let i = chat.length - 1; i >= 0; i--) {
    const m = chat[i];
    if (m.is_system) continue;
    if (m.is_user && takeNext) {
      const sent = parseSendDate(m.send_date);
      return sent ? humanizeDuration(now.getTime() - sent.getTime()) : "just now";
    }
    takeNext = true;
  }
  return "just now";
}
