/**
 * The prompt of one generation, from the speaking character's card, World Info and the chat history:
 * system parts first (main prompt, description, personality, scenario, World Info before/after), then
 * the history (tool invocations as assistant tool calls and tool results), then what the type asks for
 * (the continue nudge, the impersonation prompt, the quiet prompt). Each message is labelled with the
 * part it came from, for the trace's token counts.
 * @module
 */

import type { CharacterView } from "../characters.ts";
import type { ChatMessage as LlmMessage } from "../llm/types.ts";
import type { ChatMessage } from "../store.ts";
import type { GenerationType } from "./types.ts";

/** One message of the assembled prompt with the part it belongs to. */
export interface PromptPart {
  name: string;
  message: LlmMessage;
}

/** What the prompt is made from. */
export interface PromptInput {
  type: GenerationType;
  /** The history to send (system messages already left out). */
  chat: ChatMessage[];
  /** The speaking character's card (joined cards in a group that joins them); null for none. */
  character: CharacterView | null;
  userName: string;
  charName: string;
  /** World Info text placed before and after the character parts. */
  worldInfoBefore: string;
  worldInfoAfter: string;
  /** The live preset body (its prompt texts). */
  preset: Record<string, unknown>;
  /** The quiet prompt (quiet generations), or an extra instruction. */
  quietPrompt?: string;
  /** Name the other speakers in the history (group chats). */
  names?: boolean;
}

const MAIN = "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}.";
const IMPERSONATE = "[Write your next reply from the point of view of {{user}}, using the chat history so " +
  "far as a guideline for the writing style of {{user}}. Don't write as {{char}} or system. Don't " +
  "describe actions of {{char}}.]";
const CONTINUE = "[Continue the following message. Do not include ANY parts of the original message. " +
  "Use capitalization and punctuation as if your reply is a part of the original message: {{lastChatMessage}}]";

/** Assembles the prompt; see the module documentation. */
export function assemblePrompt(input: PromptInput): PromptPart[] {
  const fill = (text: string) =>
    text.replaceAll("{{char}}", input.charName).replaceAll("{{user}}", input.userName)
      .replaceAll("{{lastChatMessage}}", String(input.chat.at(-1)?.mes ?? ""));
  const parts: PromptPart[] = [];
  const system = (name: string, text: unknown) => {
    if (typeof text === "string" && text.trim()) {
      parts.push({ name, message: { role: "system", content: fill(text) } });
    }
  };
  const card = input.character;
  system("main", promptText(input.preset, "main") ?? MAIN);
  system("worldInfoBefore", input.worldInfoBefore);
  system("charDescription", card?.description);
  system("charPersonality", card?.personality ? `${input.charName}'s personality: ${card.personality}` : "");
  system("scenario", card?.scenario ? `Scenario: ${card.scenario}` : "");
  system("worldInfoAfter", input.worldInfoAfter);
  for (const message of input.chat) parts.push(...historyParts(message, input.names === true));
  if (input.type === "continue") {
    system("continueNudge", stringOr(input.preset.continue_nudge_prompt, CONTINUE));
  } else if (input.type === "impersonate") {
    system("impersonate", stringOr(input.preset.impersonation_prompt, IMPERSONATE));
  }
  system("quietPrompt", input.quietPrompt);
  return parts;
}

/** One stored message as prompt messages: its tool invocations first, then its text. */
function historyParts(message: ChatMessage, names: boolean): PromptPart[] {
  const parts: PromptPart[] = [];
  const extra = (message.extra ?? {}) as Record<string, unknown>;
  const invocations = Array.isArray(extra.tool_invocations) ? extra.tool_invocations : [];
  if (invocations.length) {
    parts.push({
      name: "toolCalls",
      message: {
        role: "assistant",
        content: null,
        tool_calls: invocations.map((i) => ({
          id: String(i.id),
          type: "function" as const,
          function: { name: String(i.name), arguments: String(i.parameters ?? "{}") },
        })),
      },
    });
    for (const i of invocations) {
      parts.push({
        name: "toolCalls",
        message: {
          role: "tool",
          tool_call_id: String(i.id),
          name: String(i.name),
          content: String(i.result ?? ""),
        },
      });
    }
  }
  const text = String(message.mes ?? "");
  if (text || !invocations.length) {
    const role = message.is_user ? "user" : "assistant";
    const content = names && !message.is_user ? `${message.name}: ${text}` : text;
    parts.push({ name: "chatHistory", message: { role, content } });
  }
  return parts;
}

/** A prompt's text from the preset's `prompts` list, by identifier. */
function promptText(preset: Record<string, unknown>, identifier: string): string | undefined {
  const prompts = Array.isArray(preset.prompts) ? preset.prompts : [];
  const found = prompts.find((p) => p?.identifier === identifier);
  return typeof found?.content === "string" ? found.content : undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" && value.trim() ? value : fallback;
}
