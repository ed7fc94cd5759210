/**
 * A chat-completion preset as SillyTavern 1.12.6 saves it (`OpenAI Settings/<name>.json`, the
 * `oai_settings` fields): samplers, limits, switches, prompts and their order typed; every other field
 * kept as it is. Presets of other collections keep only the storage limits.
 * @module
 */

import { z } from "zod";

const num = z.number().optional();
const bool = z.boolean().optional();
const str = z.string().optional();

/** One prompt of the prompt manager (`prompts[]`). */
const Prompt = z.looseObject({
  identifier: z.string(),
  name: str,
  role: str,
  content: str,
  system_prompt: bool,
  marker: bool,
  enabled: bool,
  injection_position: num,
  injection_depth: num,
  forbid_overrides: bool,
});

/** One character's prompt order (`prompt_order[]`). */
const PromptOrder = z.looseObject({
  character_id: z.union([z.number(), z.string()]),
  order: z.array(z.looseObject({ identifier: z.string(), enabled: z.boolean() })),
});

/**
 * An `openai` collection preset body.
 *
 * @example
 * ```ts
 * OpenAiPresetSchema.parse({ temperature: 0.7, openai_max_tokens: 300, chat_completion_source: "openai" });
 * ```
 */
export const OpenAiPresetSchema = z.looseObject({
  chat_completion_source: str,
  temperature: num,
  temp_openai: num,
  frequency_penalty: num,
  freq_pen_openai: num,
  presence_penalty: num,
  pres_pen_openai: num,
  top_p: num,
  top_p_openai: num,
  top_k: num,
  top_k_openai: num,
  min_p: num,
  min_p_openai: num,
  top_a: num,
  top_a_openai: num,
  repetition_penalty: num,
  repetition_penalty_openai: num,
  openai_max_context: num,
  openai_max_tokens: num,
  seed: num,
  n: num,
  stream_openai: bool,
  wrap_in_quotes: bool,
  max_context_unlocked: bool,
  squash_system_messages: bool,
  function_calling: bool,
  openai_model: str,
  custom_model: str,
  custom_url: str,
  reverse_proxy: str,
  names_behavior: num,
  prompts: z.array(Prompt).optional(),
  prompt_order: z.array(PromptOrder).optional(),
});
