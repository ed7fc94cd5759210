/**
 * World info books and entries as SillyTavern 1.12.6 stores them (`worlds/<name>.json`: `{ entries: {
 * [uid]: entry } }`, entry fields from its entry template): known fields typed, every other field kept.
 * Numbers SillyTavern leaves unset are `null`; older books hold `delayUntilRecursion` as a boolean.
 * @module
 */

import { z } from "zod";

const num = z.number().nullable().optional();
const bool = z.boolean().nullable().optional();
const str = z.string().optional();

/**
 * One world info entry.
 *
 * @example
 * ```ts
 * WorldInfoEntrySchema.parse({ uid: 0, key: ["dragon"], content: "Dragons breathe fire.", order: 100 });
 * ```
 */
export const WorldInfoEntrySchema = z.looseObject({
  uid: z.union([z.number().int(), z.string()]).optional(),
  key: z.array(z.string()).optional(),
  keysecondary: z.array(z.string()).optional(),
  comment: str,
  content: str,
  constant: bool,
  vectorized: bool,
  selective: bool,
  selectiveLogic: num,
  addMemo: bool,
  order: num,
  position: num,
  disable: bool,
  excludeRecursion: bool,
  preventRecursion: bool,
  delayUntilRecursion: z.union([z.number(), z.boolean()]).nullable().optional(),
  probability: num,
  useProbability: bool,
  depth: num,
  group: str,
  groupOverride: bool,
  groupWeight: num,
  scanDepth: num,
  caseSensitive: bool,
  matchWholeWords: bool,
  useGroupScoring: bool,
  automationId: str,
  role: num,
  sticky: num,
  cooldown: num,
  delay: num,
  displayIndex: num,
  characterFilter: z.looseObject({
    isExclude: z.boolean().optional(),
    names: z.array(z.string()).optional(),
    tags: z.array(z.string()).optional(),
  }).optional(),
});

/**
 * A world info book: its entries keyed by uid.
 *
 * @example
 * ```ts
 * WorldInfoBookSchema.parse({ entries: { "0": { uid: 0, key: ["dragon"], content: "..." } } });
 * ```
 */
export const WorldInfoBookSchema = z.looseObject({
  entries: z.record(z.string(), WorldInfoEntrySchema),
});
