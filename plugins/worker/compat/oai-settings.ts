/**
 * SillyTavern's `oai_settings` (the object `openai.js` exports) as a chat-completion preset body gives it.
 * A preset file names eight sampling fields differently from `oai_settings` (`temperature` there is
 * `temp_openai` here); every other field has the same name in both. Lodge keeps preset bodies in the
 * file's form, so extensions reading `oai_settings.temp_openai` get the field under SillyTavern's name.
 * @module
 */

/**
 * Each preset-file field whose `oai_settings` name differs, and that name (SillyTavern 1.12.6's
 * `settingsToUpdate` table in `openai.js`).
 */
export const OAI_SETTINGS_RENAMES: Readonly<Record<string, string>> = Object.freeze({
  temperature: "temp_openai",
  frequency_penalty: "freq_pen_openai",
  presence_penalty: "pres_pen_openai",
  top_p: "top_p_openai",
  top_k: "top_k_openai",
  top_a: "top_a_openai",
  min_p: "min_p_openai",
  repetition_penalty: "repetition_penalty_openai",
});

/**
 * `oai_settings` for the preset body `body` (named `presetName`, SillyTavern's `preset_settings_openai`):
 * the body's fields with the eight sampling fields under their `oai_settings` names. A body that already
 * holds a field under its `oai_settings` name (settings imported from SillyTavern's `settings.json`) keeps
 * that value.
 *
 * @example
 * ```ts
 * toOaiSettings({ temperature: 0.7, openai_max_tokens: 300 }, "Default");
 * // → { temp_openai: 0.7, openai_max_tokens: 300, preset_settings_openai: "Default" }
 * ```
 */
export function toOaiSettings(
  body: Readonly<Record<string, unknown>>,
  presetName?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = OAI_SETTINGS_RENAMES[key] ?? key;
    if (!(name in out) || name === key) out[name] = value;
  }
  if (presetName !== undefined) out.preset_settings_openai = presetName;
  return out;
}
