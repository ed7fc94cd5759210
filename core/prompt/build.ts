/**
 * The two doors to assembly: `buildPresetAwarePromptMessages` (a plugin's own messages as the chat
 * history) and the open chat's history for the generation pipeline, plus the token counter both use.
 * @module
 */

import { invalid } from "../errors.ts";
import type { MacroValue, VariableStore } from "../macros/mod.ts";
import type { ChatMessage } from "../store.ts";
import { countMessageTokens, type TokenizerChoice } from "../tokens/mod.ts";
import { assemblePrompt, type MessageCounter, promptPreset } from "./assemble.ts";
import type { PromptMessage, PromptSources, RuntimeWorldInfo } from "./types.ts";

/** The options of `buildPresetAwarePromptMessages` (Luker's). */
export interface BuildOptions {
  /** The messages that take the chat history's place, oldest first. */
  messages: unknown[];
  envelopeOptions?: {
    /** Whether the card's definitions go in (default true). */
    includeCharacterCard?: boolean;
    /** The API kind; only chat completion (`openai`) is assembled. */
    api?: string;
    promptPresetName?: string;
  };
  /** A saved chat-completion preset to use instead of the live one. */
  promptPresetName?: string;
  /** World Info results to place (`resolveWorldInfoForMessages`'s); none when absent. */
  runtimeWorldInfo?: RuntimeWorldInfo | null;
}

/** What the caller adds: resolved macros and where variable writes go. */
export interface BuildExtras {
  macros?: Iterable<[string, MacroValue]>;
  variables?: VariableStore;
  now?: () => Date;
  random?: () => number;
}

const ROLES = new Set(["system", "user", "assistant", "tool"]);

/** The token counting choice of the sources: `power_user.tokenizer` and the live model. */
export function tokenizerChoice(sources: PromptSources): TokenizerChoice {
  const tokenizer = sources.prompt?.power_user?.tokenizer;
  const model = String(sources.presets?.connections?.live?.requestModel ?? "");
  return typeof tokenizer === "number" ? { tokenizer, model } : { model };
}

/** Counts prompt messages with the sources' tokenizer (tool calls count as their JSON text). */
export function messageCounter(sources: PromptSources): MessageCounter {
  const choice = tokenizerChoice(sources);
  return (m) => {
    const content = m.tool_calls ? `${m.content ?? ""}${JSON.stringify(m.tool_calls)}` : m.content;
    return countMessageTokens({ role: m.role, content, name: m.name }, choice);
  };
}

/** Checks and normalizes a plugin's messages (roles, text content, tool fields kept). */
function normalizeMessages(messages: unknown[]): PromptMessage[] {
  if (!Array.isArray(messages)) throw invalid("messages must be an array");
  return messages.map((raw, i) => {
    if (typeof raw !== "object" || raw === null) throw invalid(`message ${i} must be an object`);
    const m = raw as Record<string, unknown>;
    const role = typeof m.role === "string" ? m.role.toLowerCase() : "";
    if (!ROLES.has(role)) throw invalid(`message ${i} has no valid role (system, user, assistant or tool)`);
    const hasTools = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    if (typeof m.content !== "string" && !(hasTools && (m.content === null || m.content === undefined))) {
      throw invalid(`message ${i} needs text content`);
    }
    const out: PromptMessage = { role, content: typeof m.content === "string" ? m.content : "" };
    if (typeof m.name === "string" && m.name) out.name = m.name;
    if (hasTools) out.tool_calls = m.tool_calls as unknown[];
    if (typeof m.tool_call_id === "string") out.tool_call_id = m.tool_call_id;
    return out;
  });
}

/**
 * Assembles a plugin's messages into the preset's prompt (Luker's `buildPresetAwarePromptMessages`):
 * everything of the preset outside chat history stays; the messages take the history's place, with the
 * in-chat injections spliced in; the plugin's messages go as given (no macros expanded in them).
 * @example
 * buildPresetAwarePromptMessages(sources, {
 *   messages: [{ role: "user", content: "What happened so far?" }],
 *   runtimeWorldInfo: { worldInfoBeforeEntries: ["The kingdom is at war."] },
 * });
 */
export function buildPresetAwarePromptMessages(
  sources: PromptSources,
  options: BuildOptions,
  extras: BuildExtras = {},
): PromptMessage[] {
  if (typeof options !== "object" || options === null) throw invalid("options must be an object");
  const envelope = options.envelopeOptions ?? {};
  if (envelope.api !== undefined && envelope.api !== "openai") {
    throw invalid(`only chat-completion prompts (api "openai") are assembled, not ${envelope.api}`);
  }
  return assemblePrompt(sources, {
    history: normalizeMessages(options.messages),
    includeCharacterCard: envelope.includeCharacterCard,
    presetName: options.promptPresetName ?? envelope.promptPresetName,
    worldInfo: options.runtimeWorldInfo,
    ...extras,
  }, messageCounter(sources)).messages;
}

/**
 * The open chat as prompt history (SillyTavern's `setOpenAIMessages`): system messages left out (a
 * message of tool invocations becomes the assistant's calls and their results), narrator messages as system, names by the preset's `names_behavior`, `wrap_in_quotes` for the user.
 */
export function chatHistory(
  sources: PromptSources,
  chat: readonly ChatMessage[] = sources.chat,
  presetName?: string,
): PromptMessage[] {
  const preset = promptPreset(sources, presetName);
  const names = Number(preset.names_behavior ?? 0);
  return chat.filter((m) => !m.is_system || toolInvocations(m).length).flatMap((m): PromptMessage[] => {
    const invocations = toolInvocations(m);
    if (invocations.length) return toolMessages(invocations);
    const extra = m.extra as Record<string, unknown> | undefined;
    const narrator = extra?.type === "narrator";
    const role = narrator ? "system" : m.is_user ? "user" : "assistant";
    const name = typeof m.name === "string" ? m.name : "";
    let content = typeof m.mes === "string" ? m.mes : "";
    const prefixed = names === 2 ? !narrator : names === 0 &&
      ((!!sources.groupId && name !== sources.name1) ||
        (!!m.force_avatar && name !== sources.name1 && !narrator));
    if (prefixed) content = `${name}: ${content}`;
    content = content.replace(/\r/g, "");
    if (role === "user" && preset.wrap_in_quotes === true) content = `"${content}"`;
    return name ? [{ role, content, name }] : [{ role, content }];
  });
}

/** A stored message's tool calls (`extra.tool_invocations`, as later SillyTavern versions store them). */
function toolInvocations(message: ChatMessage): Record<string, unknown>[] {
  const list = (message.extra as Record<string, unknown> | undefined)?.tool_invocations;
  return Array.isArray(list) ? list.filter((i) => i && typeof i === "object") : [];
}

/** Tool invocations as the model saw them: the assistant's calls, then one tool message per result. */
function toolMessages(invocations: Record<string, unknown>[]): PromptMessage[] {
  return [
    {
      role: "assistant",
      content: "",
      tool_calls: invocations.map((i) => ({
        id: String(i.id),
        type: "function",
        function: { name: String(i.name), arguments: String(i.parameters ?? "{}") },
      })),
    },
    ...invocations.map((i) => ({
      role: "tool",
      tool_call_id: String(i.id),
      content: String(i.result ?? ""),
    })),
  ];
}
