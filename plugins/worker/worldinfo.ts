/**
 * The World Info members of `getContext()` that run inside the worker: `resolveWorldInfoForMessages`
 * with its `postActivationHook` (the host scans, the hook runs here on the full payload, the edit is
 * merged by the same pure merge the host would use), `loadWorldInfoBatch` as a `Map`, the synchronous
 * `buildWorldInfoChatInput`, `worldInfoEntry.template` and `constants.wiPosition` / `wiAnchor`.
 * @module
 */

import { emptyActivation, mergeActivation } from "../../core/worldinfo/activation.ts";
import { buildWorldInfoChatInput, type ScanMessage } from "../../core/worldinfo/input.ts";
import {
  wiAnchor,
  wiPosition,
  type WorldInfoActivation,
  worldInfoEntryTemplate,
} from "../../core/worldinfo/types.ts";
import type { Channel } from "./channel.ts";
import type { Mirror } from "./mirror.ts";

/** Options of `resolveWorldInfoForMessages`. */
export interface ResolveOptions {
  type?: string;
  fallbackToCurrentChat?: boolean;
  /** Receives the full activation payload; returns the edited payload (or edits it in place). */
  postActivationHook?: (payload: WorldInfoActivation) => unknown;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Builds the local World Info members. */
export function createWorldInfo(channel: Channel, mirror: Mirror) {
  return {
    /**
     * A dry-run World Info scan against these messages; `postActivationHook` may edit what activated.
     * The result goes to `buildPresetAwarePromptMessages` as `runtimeWorldInfo`.
     *
     * @example
     * ```js
     * const ctx = Luker.getContext();
     * const activation = await ctx.resolveWorldInfoForMessages([{ role: "user", content: "the dragon" }]);
     * ```
     */
    async resolveWorldInfoForMessages(messages: ScanMessage[], options: ResolveOptions = {}) {
      const { postActivationHook, ...data } = options ?? {};
      if (postActivationHook !== undefined && typeof postActivationHook !== "function") {
        throw new TypeError("postActivationHook must be a function");
      }
      const result = await channel.request("resolveWorldInfoForMessages", [
        messages,
        data,
      ]) as WorldInfoActivation;
      if (!postActivationHook) return result;
      try {
        const payload = structuredClone(result);
        const edited = await postActivationHook(payload);
        return mergeActivation(result, edited ?? payload);
      } catch (error) {
        console.error("postActivationHook failed:", error);
        return emptyActivation([], 0, { ...result.globalScanData });
      }
    },
    /**
     * Several World Info books by name (null for a name with none), as a Map.
     *
     * @example
     * ```js
     * const books = await Luker.getContext().loadWorldInfoBatch(["Lore"]);
     * console.log(books.get("Lore"));
     * ```
     */
    async loadWorldInfoBatch(names: string[]) {
      const books = await channel.request("loadWorldInfoBatch", [names]) as Record<string, unknown>;
      return new Map(Object.entries(books));
    },
    /**
     * The scan input for messages (synchronous): newest first, `name: text` lines when `includeNames`.
     *
     * @example
     * ```js
     * const lines = Luker.getContext().buildWorldInfoChatInput([{ name: "User", mes: "Hi" }]);
     * ```
     */
    buildWorldInfoChatInput(messages: ScanMessage[], includeNames = true) {
      return buildWorldInfoChatInput(messages, includeNames, {
        user: String(mirror.get("name1") ?? ""),
        char: String(mirror.get("name2") ?? ""),
      });
    },
    /**
     * `worldInfoEntry.template`: a new entry's fields with their defaults.
     *
     * @example
     * ```js
     * const entry = { ...Luker.getContext().worldInfoEntry.template, key: ["dragon"], content: "Dragons fly." };
     * ```
     */
    worldInfoEntry: deepFreeze({ template: structuredClone(worldInfoEntryTemplate) }),
    /**
     * World Info constants: entry positions (`wiPosition`) and anchors (`wiAnchor`).
     *
     * @example
     * ```js
     * const { wiPosition } = Luker.getContext().constants;
     * const entry = { position: wiPosition.atDepth, depth: 2 };
     * ```
     */
    constants: deepFreeze({ wiPosition: { ...wiPosition }, wiAnchor: { ...wiAnchor } }),
  };
}
