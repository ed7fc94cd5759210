/**
 * Shapes of the generation pipeline: generation types, options and results.
 * @module
 */

import type { ChatMessage as LlmMessage } from "../llm/types.ts";

/** The generation types of SillyTavern's `Generate(type)`. */
export const GENERATION_TYPES = [
  "normal",
  "regenerate",
  "swipe",
  "continue",
  "impersonate",
  "quiet",
] as const;

/** One of {@link GENERATION_TYPES}. */
export type GenerationType = typeof GENERATION_TYPES[number];

/** Options of `generate(type, options)` (SillyTavern's `Generate` params, JSON-safe). */
export interface GenerateOptions {
  /** Run every hook up to the request and return the prompt; nothing is sent or written. */
  dryRun?: boolean;
  /** The instruction of a quiet generation (added at the end of the prompt). */
  quiet_prompt?: string;
  /** Set by automatic triggers (group auto-replies); passed to hooks. */
  automatic_trigger?: boolean;
  /** Prefix the reply with the character name; passed to hooks. */
  force_name2?: boolean;
  /** Skip World Info and the Author's Note. */
  skipWIAN?: boolean;
  /** In a group: the member (index in `characters`) who speaks, even a muted one. */
  force_chid?: number;
  /** Caps the reply length (`max_tokens`). */
  responseLength?: number;
}

/** One reply written by a generation. */
export interface WrittenReply {
  /** The message index. */
  index: number;
  /** Who spoke. */
  name: string;
  /** The message's text (for `continue`, the whole message). */
  text: string;
}

/** What `generate` resolves with. */
export interface GenerationResult {
  /** The trace id (`getGenerationTrace(id)`); a group round has one per member, this is the last. */
  id: string;
  type: GenerationType;
  /** `done`, `stopped` (partial text kept), or `dry_run`. */
  status: "done" | "stopped" | "dry_run";
  /** The generated text: the reply, the impersonated line, the quiet answer (continue: the added text). */
  text: string;
  /** Reasoning the model returned beside the text. */
  reasoning: string;
  /** The index of the message written or continued, or null when none was. */
  messageIndex: number | null;
  /** Replies written (a group round may write several). */
  replies: WrittenReply[];
  /** Every trace id of this call. */
  traces: string[];
  /** The assembled prompt (dry runs only). */
  prompt?: LlmMessage[];
}
