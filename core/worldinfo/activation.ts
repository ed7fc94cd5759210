/**
 * Activation results as plain data: the empty result and the merge of a post-activation hook's edits.
 * Pure, so plugin workers run the same merge the host would.
 * @module
 */

import { isObject } from "../json.ts";
import { buildSlots } from "./slots.ts";
import type { ActivatedEntry, WorldInfoActivation, WorldInfoGlobalScanData } from "./types.ts";

/** An empty activation: what a scan that found nothing returns. */
export function emptyActivation(
  chatForWI: string[] = [],
  maxContext = 0,
  globalScanData: WorldInfoGlobalScanData = blankScanData("normal"),
): WorldInfoActivation {
  return { ...buildSlots([]), activatedEntries: [], chatForWI, maxContext, globalScanData };
}

/** Scan data with every text empty, for a generation type. */
export function blankScanData(trigger: string): WorldInfoGlobalScanData {
  return {
    personaDescription: "",
    characterDescription: "",
    characterPersonality: "",
    characterDepthPrompt: "",
    scenario: "",
    creatorNotes: "",
    trigger,
  };
}

/**
 * Merges what a post-activation hook returned into the activation it was given. A hook may edit the
 * slots directly, or edit `activatedEntries` (content, position, depth, role, order; add or remove
 * entries), in which case the slots are rebuilt from the entries. Anything that is not an object keeps
 * the original.
 * @example
 * ```ts
 * const merged = mergeActivation(wi, { ...wi, activatedEntries: wi.activatedEntries.map((e) => ({ ...e, position: 1 })) });
 * ```
 */
export function mergeActivation(original: WorldInfoActivation, edited: unknown): WorldInfoActivation {
  if (!isObject(edited)) return original;
  const next = { ...original, ...edited } as WorldInfoActivation;
  const entries = edited.activatedEntries;
  if (Array.isArray(entries) && JSON.stringify(entries) !== JSON.stringify(original.activatedEntries)) {
    const valid = entries.filter((e): e is ActivatedEntry => isObject(e));
    return { ...next, ...buildSlots(valid), activatedEntries: valid };
  }
  return next;
}
