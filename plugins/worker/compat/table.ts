/**
 * The SillyTavern modules a plugin worker provides, by their path under SillyTavern's `public/` folder,
 * with the names each exports. The host reads this table when it takes a plugin's snapshot (it points
 * the plugin's imports of these paths at generated modules, see `plugins/shims/`); the worker builds the
 * same names (`compat/mod.ts`), and a test keeps the two in step.
 * @module
 */

/** One provided module. */
export interface StModule {
  /** Every exported name. */
  exports: readonly string[];
  /** Exports that change while the plugin runs (`let` bindings in SillyTavern): kept current. */
  live?: readonly string[];
}

/** The provided modules, by path under `public/`. */
export const ST_MODULES: Readonly<Record<string, StModule>> = Object.freeze({
  "script.js": {
    exports: [
      "eventSource",
      "event_types",
      "saveSettingsDebounced",
      "saveSettings",
      "substituteParams",
      "substituteParamsExtended",
      "generateQuietPrompt",
      "generateRaw",
      "sendMessageAsUser",
      "sendSystemMessage",
      "getRequestHeaders",
      "getCurrentChatId",
      "saveChat",
      "saveChatDebounced",
      "saveChatConditional",
      "reloadCurrentChat",
      "saveMetadata",
      "setExtensionPrompt",
      "extension_prompt_types",
      "extension_prompt_roles",
      "main_api",
      "chat",
      "characters",
      "chat_metadata",
      "this_chid",
      "name1",
      "name2",
      "online_status",
      "callPopup",
    ],
    live: ["chat_metadata", "this_chid", "name1", "name2", "online_status"],
  },
  "scripts/extensions.js": {
    exports: [
      "extension_settings",
      "getContext",
      "saveMetadataDebounced",
      "renderExtensionTemplate",
      "renderExtensionTemplateAsync",
      "writeExtensionField",
      "ModuleWorkerWrapper",
      "doExtrasFetch",
      "getApiUrl",
      "modules",
    ],
  },
  "scripts/openai.js": {
    exports: ["sendOpenAIRequest", "oai_settings", "chat_completion_sources"],
  },
  "scripts/extensions/regex/engine.js": {
    exports: ["registerManagedRegexProvider", "getRegexedString", "regex_placement"],
  },
  "scripts/world-info.js": {
    exports: [
      "getWorldInfoPrompt",
      "loadWorldInfo",
      "saveWorldInfo",
      "getWorldInfoNames",
      "world_info_position",
    ],
  },
  "scripts/utils.js": {
    exports: [
      "delay",
      "debounce",
      "uuidv4",
      "getStringHash",
      "escapeRegex",
      "isTrueBoolean",
      "isFalseBoolean",
      "onlyUnique",
      "waitUntilCondition",
      "stringFormat",
      "trimToEndSentence",
      "getSortableDelay",
      "isValidUrl",
    ],
  },
  "scripts/macros.js": { exports: ["MacrosParser"] },
  "scripts/tokenizers.js": { exports: ["getTokenCount", "getTokenCountAsync"] },
  "scripts/slash-commands.js": { exports: ["registerSlashCommand"] },
  "scripts/slash-commands/SlashCommandParser.js": { exports: ["SlashCommandParser"] },
  "scripts/slash-commands/SlashCommand.js": { exports: ["SlashCommand"] },
  "scripts/slash-commands/SlashCommandArgument.js": {
    exports: ["SlashCommandArgument", "SlashCommandNamedArgument", "ARGUMENT_TYPE"],
  },
  "scripts/slash-commands/SlashCommandEnumValue.js": { exports: ["SlashCommandEnumValue", "enumTypes"] },
  "scripts/popup.js": { exports: ["callGenericPopup", "POPUP_TYPE", "POPUP_RESULT"] },
});

/**
 * The module a specifier that leaves the plugin's folder stands for: `tail` is the specifier with its
 * leading `../` (or `/`) removed, e.g. `script.js`, `extensions.js`, `regex/engine.js`,
 * `scripts/slash-commands/SlashCommandParser.js`. Matched on whole path segments at any depth.
 */
export function stModuleFor(tail: string): string | null {
  const clean = tail.replace(/^public\//, "");
  for (const path of Object.keys(ST_MODULES)) {
    if (path === clean || path.endsWith(`/${clean}`)) return path;
  }
  return null;
}
