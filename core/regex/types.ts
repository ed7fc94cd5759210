/**
 * Regex scripts as SillyTavern stores them (settings `extension_settings.regex`, card
 * `data.extensions.regex_scripts`) and the places in the pipeline where they run.
 * @module
 */

/**
 * Where a script runs, SillyTavern's numbers. `4` was SillyTavern's legacy "send as" and is unused;
 * `REASONING` comes from later SillyTavern versions.
 *
 * @example
 * ```ts
 * const script = { placement: [regexPlacement.AI_OUTPUT] };
 * ```
 */
export const regexPlacement = Object.freeze({
  /** Deprecated Markdown display placement; scripts carrying it are treated as every placement. */
  MD_DISPLAY: 0,
  USER_INPUT: 1,
  AI_OUTPUT: 2,
  SLASH_COMMAND: 3,
  WORLD_INFO: 5,
  REASONING: 6,
});

/** One of {@link regexPlacement}'s values. */
export type RegexPlacement = (typeof regexPlacement)[keyof typeof regexPlacement];

/**
 * How macros are substituted into `findRegex` before it is compiled: `0` none, `1` raw, `2` with regex
 * special characters escaped (later SillyTavern); SillyTavern 1.12.6 stores a boolean (`true` = raw).
 */
export type SubstituteMode = 0 | 1 | 2 | boolean;

/** A regex script, SillyTavern's field names. Unknown fields are kept by whoever stores the script. */
export interface RegexScript {
  /** Stable id (a UUID in SillyTavern). */
  id: string;
  /** Display name. */
  scriptName: string;
  /** `/pattern/flags` or a bare pattern. */
  findRegex: string;
  /** Replacement; `$1`… insert groups, `{{match}}` the whole match; macros are expanded. */
  replaceString: string;
  /** Strings removed from each inserted group before it is inserted. */
  trimStrings?: string[];
  /** Where the script runs ({@link regexPlacement}). */
  placement: number[];
  /** A disabled script never runs. */
  disabled?: boolean;
  /** Runs only on display (the UI's rendering), never on stored text. */
  markdownOnly?: boolean;
  /** Runs only on the prompt sent to the model, never on stored text. */
  promptOnly?: boolean;
  /** Runs when the user edits a message. */
  runOnEdit?: boolean;
  /** Macros in `findRegex`. */
  substituteRegex?: SubstituteMode;
  /** Least message depth (0 = newest) the script applies at; null/absent = no limit. */
  minDepth?: number | null;
  /** Greatest message depth the script applies at; null/absent = no limit. */
  maxDepth?: number | null;
}

/** What the text being processed is and where it sits. */
export interface RegexParams {
  /** The text is rendered for display (the UI). */
  isMarkdown?: boolean;
  /** The text goes into a prompt. */
  isPrompt?: boolean;
  /** The text is an edit the user just made. */
  isEdit?: boolean;
  /** Depth of the message in the chat, 0 = newest non-system message. */
  depth?: number;
  /** The name `{{char}}` stands for in this text (SillyTavern's `characterOverride`). */
  characterOverride?: string;
}

/**
 * A script made ready to run where macros cannot be reached (the bounded runner): macros already
 * substituted into the pattern, the replacement template and the trim strings.
 */
export interface PreparedScript {
  /** The script's id, for reports. */
  id: string;
  /** `/pattern/flags` or a bare pattern, macros substituted. */
  findRegex: string;
  /** Replacement template, macros substituted, `{{match}}` still in place. */
  replaceString: string;
  /** Trim strings, macros substituted. */
  trimStrings: string[];
}

/** A script the bounded runtime stopped because it ran past its time budget. */
export interface RegexCutOff {
  /** The script's id. */
  id: string;
  /** Its display name. */
  scriptName: string;
  /** The pattern that was cut off. */
  findRegex: string;
  /** When it was cut off (ms since the epoch). */
  time: number;
}
