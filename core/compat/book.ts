/**
 * A card's embedded `character_book` (the V2 spec's lorebook) as a World Info book, the way SillyTavern
 * 1.12.6 turns it into one when a card is imported: each entry takes the template's defaults, the spec's
 * fields under SillyTavern's names, and SillyTavern's own `extensions` fields; the book keeps the embedded
 * original as `originalData`.
 * @module
 */

import { isObject } from "../json.ts";
import { selectiveLogic, wiPosition, wiRole, worldInfoEntryTemplate } from "../worldinfo/types.ts";

/**
 * Converts an embedded book into a World Info book (`{ entries, originalData }`).
 *
 * @example
 * ```ts
 * bookFromCharacter({ entries: [{ keys: ["dragon"], content: "Dragons fly.", enabled: true }] });
 * // → { entries: { "0": { uid: 0, key: ["dragon"], content: "Dragons fly.", disable: false, ... } }, ... }
 * ```
 */
export function bookFromCharacter(book: Record<string, unknown>): Record<string, unknown> {
  const entries: Record<string, Record<string, unknown>> = {};
  const list = Array.isArray(book.entries) ? book.entries : [];
  for (const [index, raw] of list.entries()) {
    if (!isObject(raw)) continue;
    const ext = isObject(raw.extensions) ? raw.extensions : {};
    const uid = typeof raw.id === "number" ? raw.id : index;
    entries[uid] = {
      ...structuredClone(worldInfoEntryTemplate),
      uid,
      key: raw.keys ?? [],
      keysecondary: raw.secondary_keys ?? [],
      comment: raw.comment ?? "",
      content: raw.content ?? "",
      constant: raw.constant ?? false,
      selective: raw.selective ?? false,
      order: raw.insertion_order ?? 100,
      position: ext.position ?? (raw.position === "before_char" ? wiPosition.before : wiPosition.after),
      excludeRecursion: ext.exclude_recursion ?? false,
      preventRecursion: ext.prevent_recursion ?? false,
      delayUntilRecursion: ext.delay_until_recursion ?? false,
      disable: raw.enabled === false,
      addMemo: Boolean(raw.comment),
      displayIndex: ext.display_index ?? index,
      probability: ext.probability ?? 100,
      useProbability: ext.useProbability ?? true,
      depth: ext.depth ?? worldInfoEntryTemplate.depth,
      selectiveLogic: ext.selectiveLogic ?? selectiveLogic.AND_ANY,
      group: ext.group ?? "",
      groupOverride: ext.group_override ?? false,
      groupWeight: ext.group_weight ?? worldInfoEntryTemplate.groupWeight,
      scanDepth: ext.scan_depth ?? null,
      caseSensitive: ext.case_sensitive ?? null,
      matchWholeWords: ext.match_whole_words ?? null,
      useGroupScoring: ext.use_group_scoring ?? null,
      automationId: ext.automation_id ?? "",
      role: ext.role ?? wiRole.system,
      vectorized: ext.vectorized ?? false,
      sticky: ext.sticky ?? null,
      cooldown: ext.cooldown ?? null,
      delay: ext.delay ?? null,
    };
  }
  return { entries, originalData: book };
}
