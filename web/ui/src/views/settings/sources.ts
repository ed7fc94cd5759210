/**
 * How the settings page names the chat-completion sources the host reaches (`chat_completion_source`)
 * and the secret key each one reads, for pickers. The host's source table (core/llm/settings.ts) is the
 * authority: a source missing here is still shown by its id.
 * @module
 */

/** A source as the pickers show it. */
export interface SourceLabel {
  id: string;
  label: string;
  /** The secret key its API key is stored under, or null (no key). */
  secretKey: string | null;
  /** Whether the profile needs a base URL. */
  needsUrl: boolean;
}

/** The sources, in the order the picker lists them. */
export const SOURCE_LABELS: readonly SourceLabel[] = [
  { id: "custom", label: "OpenAI-compatible (custom URL)", secretKey: "api_key_custom", needsUrl: true },
  { id: "openai", label: "OpenAI", secretKey: "api_key_openai", needsUrl: false },
  { id: "openrouter", label: "OpenRouter", secretKey: "api_key_openrouter", needsUrl: false },
  { id: "offline", label: "Offline model (built in)", secretKey: null, needsUrl: false },
];

/** The label entry of a source id (an unknown id is shown as itself). */
export function sourceLabel(id: string): SourceLabel {
  return SOURCE_LABELS.find((s) => s.id === id) ?? { id, label: id, secretKey: null, needsUrl: false };
}

/** Secret keys the secrets form offers first (others may be typed). */
export const KNOWN_SECRET_KEYS: readonly string[] = SOURCE_LABELS.flatMap((s) =>
  s.secretKey ? [s.secretKey] : []
);
