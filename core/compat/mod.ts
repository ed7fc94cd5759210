/**
 * SillyTavern compatibility: character cards (PNG `chara`/`ccv3` chunks, JSON), chat files (`.jsonl`)
 * and World Info books in SillyTavern 1.12.6's formats, read into and written from the core services.
 * @module
 */

export { bookFromCharacter } from "./book.ts";
export { cardFromForm, type FormFields } from "./card-form.ts";
export {
  cardJson,
  type CardLayout,
  cardPng,
  fromSillyTavern,
  LAYOUT_FIELD,
  type ReadCard,
  readCardFile,
  toSillyTavern,
  toSillyTavernV3,
} from "./card.ts";
export {
  type ChatFileImport,
  type ChatFileOptions,
  importChatFile,
  isReportable,
  MAX_LINE,
  type SkippedLine,
  type TextSink,
  writeChatFile,
} from "./chat-file.ts";
export {
  type CardDeps,
  exportCharacter,
  importCharacter,
  type ImportCharacterOptions,
  type ImportedCharacter,
} from "./characters.ts";
export { isPng, placeholderPng, readPngCard, writePngCard } from "./png.ts";
export { humanizedDate } from "./dates.ts";
export {
  type FolderImportOptions,
  type ImportCounts,
  type ImportProgress,
  type ImportReport,
  importSillyTavernFolder,
  type SkippedPath,
} from "./folder-import.ts";
export {
  type ExportCounts,
  type ExportReport,
  exportSillyTavernFolder,
  type FolderExportOptions,
} from "./folder-export.ts";
