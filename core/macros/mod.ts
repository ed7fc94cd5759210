/**
 * The macro engine: SillyTavern's `{{...}}` macros over plain data, a registry plugins extend, and chat
 * and global variables. The host and plugin workers run this same module (it imports nothing outside
 * `core/macros/`).
 *
 * @example
 * import { evaluateMacros, MacroRegistry, RecordingVariables } from "./mod.ts";
 * const macros = new MacroRegistry();
 * macros.register("weather", () => "rain");
 * const variables = new RecordingVariables({ mood: "calm" });
 * evaluateMacros("{{char}} feels {{getvar::mood}} in the {{weather}}.{{setvar::seen::1}}", {
 *   values: { char: "Bob" },
 *   macros,
 *   variables,
 * }); // "Bob feels calm in the rain."
 * variables.changes.local; // { seen: "1" }
 * @module
 */

export { evaluateMacros, type MacroEnvironment } from "./engine.ts";
export { checkMacroName, MacroRegistry, type MacroValue, sanitizeMacroValue } from "./registry.ts";
export { rollDice, seededRandom, splitChoices, stringHash } from "./random.ts";
export {
  addToVariable,
  readVariable,
  RecordingVariables,
  replaceVariableMacros,
  type VariableScope,
  type VariableStore,
} from "./variables.ts";
export { formatDate, formatTime, formatWeekday, humanizeDuration, parseSendDate } from "./time.ts";
