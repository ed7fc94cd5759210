/**
 * Prompt slots from activated entries: the same function fills them after a scan and after a
 * post-activation hook edits the activated entries.
 * @module
 */

import {
  type ActivatedEntry,
  DEFAULT_DEPTH,
  wiAnchor,
  wiPosition,
  wiRole,
  type WorldInfoDepthGroup,
  type WorldInfoExample,
  type WorldInfoSlots,
} from "./types.ts";

/** Rewrites an entry's content before it goes into a slot (regex scripts); `depth` for `@depth` entries. */
export type ContentTransform = (content: string, info: { depth: number | null }) => string;

/**
 * Fills the slots. Entries go in insertion order: ascending `order`; among equal orders the one that
 * activated later comes first (SillyTavern's order). Entries whose content is empty are left out.
 * @example
 * ```ts
 * buildSlots([{ world: "Lore", uid: 0, content: "Dragons fly.", position: 0, order: 100 }]).worldInfoBefore;
 * ```
 */
export function buildSlots(entries: readonly ActivatedEntry[], transform?: ContentTransform): WorldInfoSlots {
  const before: string[] = [], after: string[] = [], anBefore: string[] = [], anAfter: string[] = [];
  const examples: WorldInfoExample[] = [];
  const depthGroups: WorldInfoDepthGroup[] = [];
  const outlets: Record<string, string[]> = Object.create(null);
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, b) =>
    (Number(b.e.order) || 0) - (Number(a.e.order) || 0) || a.i - b.i
  );
  // Walking from the highest order down and prepending gives SillyTavern's order.
  for (const { e } of sorted) {
    const position = Number(e.position ?? wiPosition.before);
    const depth = Number.isFinite(Number(e.depth)) && e.depth !== null ? Number(e.depth) : DEFAULT_DEPTH;
    const raw = typeof e.content === "string" ? e.content : "";
    const content = transform
      ? transform(raw, { depth: position === wiPosition.atDepth ? depth : null })
      : raw;
    if (!content) continue;
    switch (position) {
      case wiPosition.before:
        before.unshift(content);
        break;
      case wiPosition.after:
        after.unshift(content);
        break;
      case wiPosition.EMTop:
        examples.unshift({ position: wiAnchor.before, content });
        break;
      case wiPosition.EMBottom:
        examples.unshift({ position: wiAnchor.after, content });
        break;
      case wiPosition.ANTop:
        anBefore.unshift(content);
        break;
      case wiPosition.ANBottom:
        anAfter.unshift(content);
        break;
      case wiPosition.atDepth: {
        const role = Number(e.role ?? wiRole.system) || 0;
        const group = depthGroups.find((g) => g.depth === depth && g.role === role);
        if (group) group.entries.unshift(content);
        else depthGroups.push({ depth, role, entries: [content] });
        break;
      }
      case wiPosition.outlet: {
        const name = typeof e.outletName === "string" ? e.outletName.trim() : "";
        if (!name) break;
        (outlets[name] ??= []).unshift(content);
        break;
      }
    }
  }
  const worldInfoBefore = before.join("\n");
  const worldInfoAfter = after.join("\n");
  return {
    worldInfoBeforeEntries: before,
    worldInfoAfterEntries: after,
    worldInfoExamples: examples,
    worldInfoDepth: depthGroups,
    anBefore,
    anAfter,
    outletEntries: { ...outlets },
    worldInfoString: [worldInfoBefore, worldInfoAfter].filter(Boolean).join("\n"),
    worldInfoBefore,
    worldInfoAfter,
  };
}
