/**
 * The typed shapes of everything Lodge stores (messages, cards, groups, presets, world info) and the
 * limits every stored value obeys. Every door (routes, JSON-RPC, plugins, the UI, the SillyTavern
 * importer) reaches them through the `core/` service that stores the value, so one check holds for all.
 * @module
 */

export {
  assertOpsStorable,
  assertStorable,
  MAX_STORED_DEPTH,
  type StorableIssue,
  storableIssue,
} from "./limits.ts";
export { checkStored, type Place } from "./validate.ts";
export {
  ChatHeaderSchema,
  ChatMessageSchema,
  checkChatHeader,
  type CheckedHeader,
  checkMessage,
  syncSwipes,
} from "./message.ts";
export { type CardFields, CardFieldsSchema, CardSchema, GroupSchema } from "./character.ts";
export { OpenAiPresetSchema } from "./preset.ts";
export { RegexScriptSchema } from "./regex.ts";
export { WorldInfoBookSchema, WorldInfoEntrySchema } from "./worldinfo.ts";
