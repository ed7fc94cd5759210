/**
 * Timed effects (sticky, cooldown, delay) over the state SillyTavern keeps in
 * `chat_metadata.timedWorldInfo`. Pure: the state goes in, the next state comes out; nothing here
 * writes anywhere.
 * @module
 */

import type { BookSet, CompiledEntry } from "./compile.ts";
import type { TimedEffect, TimedWorldInfo } from "./types.ts";

/** Which entries (scan indexes) are under each effect during one scan. */
export interface ActiveEffects {
  /** Sticky: active without a key match, exempt from probability and cooldown. */
  sticky: Set<number>;
  /** On cooldown: cannot activate unless sticky. */
  cooldown: Set<number>;
  /** Delayed: the chat is shorter than the entry's `delay`. */
  delay: Set<number>;
}

/** The key of an entry's effect in the state. */
export function effectKey(entry: CompiledEntry): string {
  return `${entry.world}.${entry.uid}`;
}

/** A well-formed copy of stored state (anything malformed dropped). */
export function normalizeTimedState(raw: unknown): TimedWorldInfo {
  const out: TimedWorldInfo = { sticky: {}, cooldown: {} };
  const src = raw && typeof raw === "object" ? raw as Record<string, unknown> : {};
  for (const type of ["sticky", "cooldown"] as const) {
    const map = src[type];
    if (!map || typeof map !== "object") continue;
    for (const [key, value] of Object.entries(map)) {
      if (value && typeof value === "object") out[type][key] = { ...(value as TimedEffect) };
    }
  }
  return out;
}

function newEffect(
  entry: CompiledEntry,
  type: "sticky" | "cooldown",
  chatLength: number,
  isProtected: boolean,
) {
  return {
    hash: entry.hash,
    start: chatLength,
    end: chatLength + Number(entry.entry[type]),
    protected: isProtected,
  };
}

/**
 * Reads the effects at the start of a scan and advances `state` in place the way SillyTavern does:
 * effects set at a chat length not yet passed are dropped (a swipe or regenerate), ended ones removed,
 * and an ended sticky starts the entry's cooldown.
 */
export function checkTimedEffects(state: TimedWorldInfo, set: BookSet, chatLength: number): ActiveEffects {
  const active: ActiveEffects = { sticky: new Set(), cooldown: new Set(), delay: new Set() };
  for (const type of ["sticky", "cooldown"] as const) {
    for (const [key, effect] of Object.entries(state[type])) {
      const index = set.byHash.get(Number(effect.hash));
      const entry = index === undefined ? undefined : set.entries[index];
      if (chatLength <= Number(effect.start) && !effect.protected) {
        delete state[type][key];
        continue;
      }
      if (!entry) {
        // Possibly another character's book: keep until its interval has passed.
        if (chatLength >= Number(effect.end)) delete state[type][key];
        continue;
      }
      if (!entry.entry[type]) {
        delete state[type][key];
        continue;
      }
      if (chatLength >= Number(effect.end)) {
        delete state[type][key];
        if (type === "sticky" && entry.entry.cooldown) {
          state.cooldown[effectKey(entry)] = newEffect(entry, "cooldown", chatLength, true);
          active.cooldown.add(index!);
        }
        continue;
      }
      active[type].add(index!);
    }
  }
  for (const i of set.delayed) {
    if (chatLength < Number(set.entries[i].entry.delay)) active.delay.add(i);
  }
  return active;
}

/** Records sticky and cooldown effects for entries that just activated (existing ones are kept). */
export function setTimedEffects(state: TimedWorldInfo, activated: CompiledEntry[], chatLength: number): void {
  for (const entry of activated) {
    for (const type of ["sticky", "cooldown"] as const) {
      if (!entry.entry[type]) continue;
      const key = effectKey(entry);
      if (!state[type][key]) state[type][key] = newEffect(entry, type, chatLength, false);
    }
  }
}
