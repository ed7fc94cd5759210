/**
 * The `presets` section of the context snapshot: everything plugin workers' synchronous
 * `context.presets` reads (`list`, `getSelected`, `getLive`, `getStored`, `resolve`) and whether the
 * live connection calls tools (`isToolCallingSupported`, `canPerformToolCalls`). It is built from the
 * host's own answers, so a local read in a worker equals the remote method's. Presets hold secret ids,
 * never secret values, so neither does this view.
 * @module
 */

import {
  COLLECTIONS,
  type LivePreset,
  type PresetBody,
  type PresetRef,
  type PresetService,
} from "../presets.ts";
import { type LlmService, NO_TOOL_TYPES } from "./service.ts";
import { type ConnectionInfo, connectionOf } from "./settings.ts";

/** One collection as the host answers for it. */
export interface CollectionView {
  /** `presets.list(collection)`. */
  list: PresetRef[];
  /** `presets.getSelected(collection)`. */
  selected: PresetRef | null;
  /** `presets.getLive(collection)`. */
  live: LivePreset | null;
  /**
   * The saved bodies, in `list` order (`presets.getStored`). Not keyed by name: a preset may be called
   * `__proto__`, which no patch path may name.
   */
  stored: PresetBody[];
}

/** The `presets` section of the context snapshot. */
export interface PresetsView {
  /** Every collection, empty ones included (an unknown collection is an error, as on the host). */
  collections: Record<string, CollectionView>;
  /** `presets.resolve()`: the live `openai` connection, and each saved `openai` preset's in `list` order. */
  connections: { live: ConnectionInfo; stored: ConnectionInfo[] };
  /** `isToolCallingSupported()`, and the generation types `canPerformToolCalls` always refuses. */
  toolCalling: { supported: boolean; skippedTypes: string[] };
}

/** Builds the view from the services. */
export function presetsView(presets: PresetService, llm: LlmService): PresetsView {
  const collections: Record<string, CollectionView> = {};
  for (const collection of COLLECTIONS) {
    const list = presets.list(collection);
    collections[collection] = {
      list,
      selected: presets.getSelected(collection),
      live: presets.getLive(collection),
      stored: list.map((ref) => presets.getStored(ref)!),
    };
  }
  const openai = collections.openai;
  return {
    collections,
    connections: {
      live: connectionOf(openai.live?.body ?? {}),
      stored: openai.stored.map(connectionOf),
    },
    toolCalling: { supported: llm.isToolCallingSupported(), skippedTypes: [...NO_TOOL_TYPES] },
  };
}
