/**
 * zod schemas of what callers send to the LLM layer: messages, tools, tool choice, structured-output
 * schemas, `sendOpenAIRequest` options and the chat-completions route body (SillyTavern's shape).
 * @module
 */

import { z } from "zod";

const ToolCallSchema = z.object({
  id: z.string().max(256),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string().max(256), arguments: z.string().max(1_000_000) }),
});

/** One chat message; unknown fields are dropped (some servers refuse them). */
export const MessageSchema = z.object({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.null(), z.array(z.unknown())]).default(""),
  name: z.string().max(256).optional(),
  tool_calls: z.array(ToolCallSchema).max(128).optional(),
  tool_call_id: z.string().max(256).optional(),
});

/** A list of chat messages. */
export const MessagesSchema = z.array(MessageSchema).max(10_000);

/** A tool offered for one request. */
export const ToolDefinitionSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a tool name is 1-64 letters, digits, '_' or '-'"),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** `auto`, `none`, `required`, or one named function. */
export const ToolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

/** Structured output as SillyTavern passes it: a named JSON Schema in `value`. */
export const JsonSchemaOptionSchema = z.object({
  name: z.string().min(1).max(64),
  description: z.string().max(10_000).optional(),
  strict: z.boolean().optional(),
  value: z.record(z.string(), z.unknown()),
});

/** Options of `sendOpenAIRequest` (the data form: no signal, no callbacks). */
export const SendOptionsSchema = z.object({
  /** A saved `openai` preset whose generation fields apply. */
  llmPresetName: z.string().max(255).optional(),
  /** A connection profile (or else a saved preset) whose connection fields apply. */
  apiPresetName: z.string().max(255).optional(),
  /** Settings that win over everything else. */
  apiSettingsOverride: z.record(z.string(), z.unknown()).optional(),
  /** `extension_internal` skips `CHAT_COMPLETION_SETTINGS_READY`. */
  requestScope: z.string().max(64).optional(),
  tools: z.array(ToolDefinitionSchema).max(128).optional(),
  toolChoice: ToolChoiceSchema.optional(),
  jsonSchema: JsonSchemaOptionSchema.nullable().optional(),
  /** `auto` follows the connection's toggle. */
  functionCallMode: z.enum(["auto", "native", "prompt_xml"]).optional(),
  functionCallOptions: z.object({ maxRetries: z.number().int().min(0).max(10).optional() }).loose()
    .optional(),
}).loose();

/** Parsed `sendOpenAIRequest` options. */
export type SendOptions = z.output<typeof SendOptionsSchema>;

const num = z.number().finite().optional();

/**
 * The body of `POST /api/backends/chat-completions/generate`, as SillyTavern's client sends it.
 * Missing source and model come from the live preset. Other fields are kept and ignored.
 */
export const GenerateBodySchema = z.object({
  messages: MessagesSchema.min(1),
  model: z.string().max(256).optional(),
  chat_completion_source: z.string().max(64).optional(),
  custom_url: z.string().max(2048).optional(),
  secret_id: z.string().max(128).optional(),
  /** The camel-case spelling some clients send. */
  secretId: z.string().max(128).optional(),
  stream: z.boolean().optional(),
  tools: z.array(ToolDefinitionSchema).max(128).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  json_schema: JsonSchemaOptionSchema.nullable().optional(),
  temperature: num,
  top_p: num,
  top_k: num,
  top_a: num,
  min_p: num,
  frequency_penalty: num,
  presence_penalty: num,
  repetition_penalty: num,
  max_tokens: num,
  max_completion_tokens: num,
  seed: num,
  n: z.number().int().min(1).max(16).optional(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).optional(),
  logit_bias: z.record(z.string(), z.number()).optional(),
  reasoning_effort: z.string().max(32).optional(),
  include_reasoning: z.boolean().optional(),
  max_request_retries: z.number().int().min(0).max(5).optional(),
  requests_per_minute: z.number().int().min(0).max(100_000).optional(),
}).loose();

/** A parsed route body. */
export type GenerateBody = z.output<typeof GenerateBodySchema>;
