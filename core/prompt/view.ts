/**
 * Builds the `prompt` section of the context snapshot from the settings document and the
 * {@link PromptState}.
 * @module
 */

import type { PromptState } from "./state.ts";
import type { PowerUserView, PromptView } from "./types.ts";

/** The `power_user` fields the section carries (never the rest of the settings). */
const POWER_USER_FIELDS: (keyof PowerUserView)[] = [
  "tokenizer",
  "persona_description",
  "persona_description_position",
  "persona_description_depth",
  "persona_description_role",
  "prefer_character_prompt",
  "prefer_character_jailbreak",
  "pin_examples",
  "strip_examples",
  "collapse_newlines",
];

const objectOr = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};

/** The section for a settings document and the runtime state. */
export function promptView(settings: Record<string, unknown>, state: PromptState): PromptView {
  const power = objectOr(settings.power_user);
  const extensionSettings = objectOr(settings.extension_settings);
  const power_user: Record<string, unknown> = {};
  for (const field of POWER_USER_FIELDS) if (power[field] !== undefined) power_user[field] = power[field];
  return {
    power_user: power_user as PowerUserView,
    globalVariables: objectOr(objectOr(extensionSettings.variables).global),
    note: objectOr(extensionSettings.note),
    extensionPrompts: state.extensionPrompts(),
    macros: state.macroView(),
  };
}
