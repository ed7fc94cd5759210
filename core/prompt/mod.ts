/**
 * Preset-aware prompt assembly, `substituteParams` and token counting over plain
 * {@link PromptSources}: the host builds them from its services, a plugin worker from its mirror, and
 * both run this same code, so a worker's synchronous `buildPresetAwarePromptMessages`,
 * `substituteParams` and `getTokenCount` equal the host's.
 *
 * @example
 * const messages = buildPresetAwarePromptMessages(sources, {
 *   messages: [{ role: "user", content: "Summarize the story so far." }],
 *   envelopeOptions: { includeCharacterCard: true },
 * });
 * @module
 */

export {
  type AssembleInput,
  assemblePrompt,
  type AssembleResult,
  type MessageCounter,
  promptPreset,
} from "./assemble.ts";
export {
  type BuildOptions,
  buildPresetAwarePromptMessages,
  chatHistory,
  messageCounter,
  tokenizerChoice,
} from "./build.ts";
export {
  type CardJoin,
  type GroupDepthPrompt,
  joinCards,
  joinDepthPrompts,
  type JoinedFields,
} from "./group-cards.ts";
export { parseExampleBlock, splitExampleBlocks } from "./examples.ts";
export {
  AUTHORS_NOTE_KEY,
  authorsNoteSettings,
  authorsNoteText,
  effectiveExtensionPrompts,
  extensionPrompt,
  extensionPromptText,
  PersonaPosition,
  roleNumber,
  scannedExtensionPrompts,
} from "./injections.ts";
export {
  cardData,
  chatVariables,
  createSubstituter,
  currentCharacter,
  substituteArgs,
  type SubstituteOptions,
  type Substituter,
} from "./substitute.ts";
export * from "./types.ts";
