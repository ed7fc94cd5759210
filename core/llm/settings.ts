/**
 * Chat-completion settings in SillyTavern's flat preset form (`chat_completion_source`, `openai_model`,
 * `temperature`, `openai_max_tokens`, `stream_openai` ...): which fields are generation parameters and
 * which are connection fields, the sources Lodge can reach, and the request body (SillyTavern's
 * `generate_data` shape) built from merged settings. Keys never live in settings: a reverse-proxy
 * password would be one, so endpoints behind a proxy are `custom` sources with `api_key_custom`.
 * @module
 */

import { OFFLINE_MODEL } from "./offline.ts";
import { SOURCES } from "./sources.ts";
import type { ChatMessage, ToolChoice, ToolDefinition } from "./types.ts";

/** Flat chat-completion settings: a preset body, the live copy, or an override. */
export type Settings = Record<string, unknown>;

/** The source used when settings name none. */
const DEFAULT_SOURCE = "offline";

/** Fields a `llmPresetName` preset contributes: generation parameters only. */
export const GENERATION_FIELDS: readonly string[] = Object.freeze([
  "temperature",
  "frequency_penalty",
  "presence_penalty",
  "top_p",
  "top_k",
  "top_a",
  "min_p",
  "repetition_penalty",
  "openai_max_tokens",
  "openai_max_context",
  "max_context_unlocked",
  "seed",
  "n",
  "stream_openai",
  "reasoning_effort",
  "show_thoughts",
]);

/** Fields an `apiPresetName` contributes: where and how to connect, never sampling. */
export const CONNECTION_FIELDS: readonly string[] = Object.freeze([
  "chat_completion_source",
  "openai_model",
  "openrouter_model",
  "custom_model",
  "custom_url",
  "secret_id",
  "function_calling_plain_text",
  "function_calling_plain_text_error_retry_max_attempts",
  "max_request_retries",
  "requests_per_minute",
]);

/** Copies the listed fields that `from` defines. */
export function pickFields(from: Settings, fields: readonly string[]): Settings {
  const out: Settings = {};
  for (const field of fields) if (from[field] !== undefined) out[field] = from[field];
  return out;
}

/** The source named by the settings (the offline model when none). */
export function sourceOf(settings: Settings): string {
  const source = settings.chat_completion_source;
  return typeof source === "string" && source ? source : DEFAULT_SOURCE;
}

/** The model of the settings' source. */
export function modelOf(settings: Settings): string {
  const info = SOURCES[sourceOf(settings)];
  if (!info?.modelField) return OFFLINE_MODEL;
  return String(settings[info.modelField] ?? "");
}

/** Where a request with these settings goes: the base URL, or `null` for the offline model. */
function urlOf(settings: Settings): string | null {
  const source = sourceOf(settings);
  if (source === "custom") return String(settings.custom_url ?? "") || null;
  return SOURCES[source]?.baseUrl ?? null;
}

/** A connection as `presets.resolve()` reports it. */
export interface ConnectionInfo {
  /** The main API kind: `openai` for every chat-completion source. */
  requestApi: string;
  requestModel: string;
  /** `null` for the offline model, which has no URL. */
  requestUrl: string | null;
  secretId: string | null;
}

/** The connection the settings describe. */
export function connectionOf(settings: Settings): ConnectionInfo {
  return {
    requestApi: "openai",
    requestModel: modelOf(settings),
    requestUrl: urlOf(settings),
    secretId: typeof settings.secret_id === "string" && settings.secret_id ? settings.secret_id : null,
  };
}

/** Whether the settings send tools as plain text instead of native tool calls (the connection toggle). */
export function usesPlainTextTools(settings: Settings): boolean {
  return settings.function_calling_plain_text === true;
}

/** Per-request parts of a body that do not come from settings. */
export interface RequestParts {
  type: string;
  stream: boolean;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Structured output: `{ name, description?, strict?, value: JSON Schema }`. */
  jsonSchema?: { name: string; description?: string; strict?: boolean; value: Record<string, unknown> };
}

/** Builds the chat-completions body (SillyTavern's `generate_data` shape) for merged settings. */
export function buildGenerateData(
  settings: Settings,
  messages: ChatMessage[],
  parts: RequestParts,
): Settings {
  const source = sourceOf(settings);
  const body: Settings = {
    type: parts.type,
    messages,
    model: modelOf(settings),
    chat_completion_source: source,
    stream: parts.stream,
  };
  const copyNumber = (from: string, to = from) => {
    const value = Number(settings[from]);
    if (settings[from] !== undefined && settings[from] !== "" && Number.isFinite(value)) body[to] = value;
  };
  for (const field of ["temperature", "frequency_penalty", "presence_penalty", "top_p"]) copyNumber(field);
  copyNumber("openai_max_tokens", "max_tokens");
  for (const field of SOURCES[source]?.extraSamplers ?? []) copyNumber(field);
  if (Number(settings.seed) >= 0) copyNumber("seed");
  if (typeof settings.reasoning_effort === "string" && !["", "auto"].includes(settings.reasoning_effort)) {
    body.reasoning_effort = settings.reasoning_effort;
  }
  if (source === "openrouter" && settings.show_thoughts !== undefined) {
    body.include_reasoning = !!settings.show_thoughts;
  }
  if (source === "custom") body.custom_url = settings.custom_url ?? "";
  for (const field of ["secret_id", "max_request_retries", "requests_per_minute"]) {
    if (settings[field] !== undefined && settings[field] !== "") body[field] = settings[field];
  }
  if (parts.tools?.length) {
    body.tools = parts.tools;
    body.tool_choice = parts.toolChoice ?? "auto";
  }
  if (parts.jsonSchema) body.json_schema = parts.jsonSchema;
  return body;
}
