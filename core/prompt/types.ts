/**
 * The plain data prompt assembly reads. The host builds {@link PromptSources} from its services; a
 * plugin worker from its context mirror, which has the same shape. So the same engine gives the same
 * prompt on both sides.
 * @module
 */

import type { PresetsView } from "../llm/presets-view.ts";
import type { ChatMessage } from "../store.ts";
import type { WorldInfoSlots } from "../worldinfo/types.ts";

/** SillyTavern's `extension_prompt_types`. */
export const ExtensionPromptPosition = Object.freeze({
  NONE: -1,
  /** After the main prompt (`end` of the main prompt's collection). */
  IN_PROMPT: 0,
  /** In the chat at `depth`. */
  IN_CHAT: 1,
  /** Before the main prompt. */
  BEFORE_PROMPT: 2,
});

/** SillyTavern's `extension_prompt_roles`. */
export const ExtensionPromptRole = Object.freeze({ SYSTEM: 0, USER: 1, ASSISTANT: 2 });

/** The deepest in-chat injection (SillyTavern's `MAX_INJECTION_DEPTH`). */
export const MAX_INJECTION_DEPTH = 1000;

/** One prompt set with `setExtensionPrompt(key, value, position, depth, scan, role)`. */
export interface ExtensionPrompt {
  value: string;
  /** {@link ExtensionPromptPosition}. */
  position: number;
  depth: number;
  /** Whether the text also feeds the World Info scan. */
  scan: boolean;
  /** {@link ExtensionPromptRole}. */
  role: number;
}

/** The `power_user` fields prompt assembly and token counting read (SillyTavern's names). */
export interface PowerUserView {
  tokenizer?: number;
  persona_description?: string;
  /** 0 in prompt, 2 top of Author's Note, 3 bottom of it, 4 at depth, 9 none. */
  persona_description_position?: number;
  persona_description_depth?: number;
  persona_description_role?: number;
  prefer_character_prompt?: boolean;
  prefer_character_jailbreak?: boolean;
  pin_examples?: boolean;
  strip_examples?: boolean;
  collapse_newlines?: boolean;
}

/**
 * The `prompt` section of the context snapshot: the parts of the settings and the host's runtime state
 * that assembly, macros and token counting read besides the chat, the characters and the presets.
 */
export interface PromptView {
  power_user: PowerUserView;
  /** `extension_settings.variables.global`. */
  globalVariables: Record<string, unknown>;
  /** `extension_settings.note`: the Author's Note defaults and the characters' notes (`chara`). */
  note: Record<string, unknown>;
  /** Extension prompts by key. */
  extensionPrompts: Record<string, ExtensionPrompt>;
  /**
   * Macros plugins registered on the host: a string macro's text, or `null` for a function macro (it
   * runs in its plugin's worker; the host asks it when it assembles a prompt).
   */
  macros: Record<string, string | null>;
}

/** Everything assembly reads: the context snapshot's fields plus the {@link PromptView}. */
export interface PromptSources {
  chat: readonly ChatMessage[];
  characters: readonly Record<string, unknown>[];
  characterId: number | null;
  groups: readonly Record<string, unknown>[];
  groupId: string | null;
  name1: string;
  name2: string;
  chatId: string | null;
  chat_metadata: Record<string, unknown>;
  presets: PresetsView;
  prompt: PromptView;
}

/**
 * World Info results as `resolveWorldInfoForMessages` returns them (Luker's `runtimeWorldInfo`); assembly
 * reads the slots and ignores the rest.
 */
export type RuntimeWorldInfo = Partial<WorldInfoSlots>;

/** A message of an assembled prompt. */
export interface PromptMessage {
  role: string;
  content: string;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
}
