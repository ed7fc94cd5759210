/**
 * The World Info engine, pure: compile books once, combine them per chat, scan. Everything outside
 * (token counter, macro expansion, random source, timed-effects state) comes in as parameters; the
 * host wiring in `service.ts` reads and writes books, settings and chat metadata.
 *
 * @example
 * ```ts
 * import { combineBooks, compileBook, resolveWorldInfoSettings, scanWorldInfo } from "./mod.ts";
 * const books = combineBooks({ global: [compileBook("Lore", { entries: { 0: { uid: 0, key: ["dragon"], content: "Dragons fly." } } })] }, 1);
 * const { slots } = scanWorldInfo(
 *   { chat: ["User: a dragon!"], maxContext: 4096, books, settings: resolveWorldInfoSettings({}) },
 *   { countTokens: (t) => Math.ceil(t.length / 3.35) },
 * );
 * slots.worldInfoBeforeEntries; // ["Dragons fly."]
 * ```
 * @module
 */

export * from "./types.ts";
export {
  type BookSet,
  type BookSources,
  combineBooks,
  compileBook,
  type CompiledBook,
  type CompiledEntry,
  type CompileWarning,
  normalizeEntry,
} from "./compile.ts";
export { type ScanDeps, type ScanRequest, type ScanResult, scanWorldInfo } from "./scan.ts";
export { buildSlots, type ContentTransform } from "./slots.ts";
export { buildWorldInfoChatInput, type ScanMessage } from "./input.ts";
export { seededRandom } from "../macros/random.ts";
export { MAX_REGEX_KEY_LENGTH, parseDecorators, parseRegexKey } from "./keys.ts";
export { blankScanData, emptyActivation, mergeActivation } from "./activation.ts";
