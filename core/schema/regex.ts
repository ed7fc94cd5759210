/**
 * Regex scripts as SillyTavern stores them (settings `extension_settings.regex`, card
 * `data.extensions.regex_scripts`) and plugins provide them: known fields typed, every other field kept.
 * @module
 */

import { z } from "zod";

const depth = z.number().int().min(-1).nullable().optional();

/**
 * One regex script.
 *
 * @example
 * ```ts
 * RegexScriptSchema.parse({ id: "a1", scriptName: "No asterisks", findRegex: "/\\*+/g", replaceString: "",
 *   placement: [2] });
 * ```
 */
export const RegexScriptSchema = z.looseObject({
  id: z.string().min(1).max(256),
  scriptName: z.string().max(1_000),
  findRegex: z.string().max(100_000),
  replaceString: z.string().max(1_000_000).default(""),
  trimStrings: z.array(z.string().max(10_000)).max(1_000).default([]),
  placement: z.array(z.number().int().min(0).max(16)).max(16).default([]),
  disabled: z.boolean().optional(),
  markdownOnly: z.boolean().optional(),
  promptOnly: z.boolean().optional(),
  runOnEdit: z.boolean().optional(),
  substituteRegex: z.union([z.boolean(), z.literal(0), z.literal(1), z.literal(2)]).optional(),
  minDepth: depth,
  maxDepth: depth,
});
