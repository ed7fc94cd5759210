/**
 * `context.presets` inside a worker. The reads the reference makes synchronous (`list`, `getSelected`,
 * `getLive`, `getStored`, `resolve`) answer from the mirror's `presets` section, which the host keeps
 * current (a read after an awaited `save` sees the save), each with a copy the caller may change. `save`
 * and `state.get/getBatch/patch/delete/deleteAll` go to the host; `state.update(namespace, updater,
 * options)` runs the updater here and commits guarded patches, retried on conflict.
 * @module
 */

import type { CollectionView, PresetsView } from "../../core/llm/presets-view.ts";
import { nameKey } from "../../core/names.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import type { Channel } from "./channel.ts";
import type { Mirror } from "./mirror.ts";
import { overRemote, type RemoteSurface } from "./remote.ts";
import { PRESET_STATE, type UpdateOptions, type UpdaterInfo, updateState } from "./state-update.ts";

/** How the reads name a preset: `{ collection, name }`, or Luker's state form `{ apiId, name }`. */
export interface PresetTarget {
  collection?: string;
  apiId?: string;
  name: string;
}

/** -32602: what the host answers for a bad collection or preset name, kept for the local reads. */
const INVALID_PARAMS = -32602;

/** Builds `context.presets` over the worker's mirror, its channel and the host's remaining methods. */
export function createPresets(channel: Channel, mirror: Mirror, remote: RemoteSurface) {
  const view = () => mirror.get("presets") as PresetsView;

  function collectionOf(name: string): CollectionView {
    const { collections } = view();
    if (typeof name !== "string" || !Object.hasOwn(collections, name)) {
      throw new RpcError(INVALID_PARAMS, `unknown preset collection ${name}`);
    }
    return collections[name];
  }

  /** The `{ collection, name }` a target means, as the host reads it. */
  function targetOf(target: PresetTarget): { collection: string; name: string } {
    if (typeof target !== "object" || target === null || typeof target.name !== "string") {
      throw new RpcError(INVALID_PARAMS, "a preset is named by { collection, name }");
    }
    return { collection: target.collection ?? target.apiId ?? "openai", name: target.name };
  }

  /** Where in `list` the preset a name refers to is: the exact name, else ignoring case and accents. */
  function indexOf(collection: CollectionView, name: string): number {
    const exact = collection.list.findIndex((ref) => ref.name === name);
    if (exact >= 0) return exact;
    const key = nameKey(name);
    return collection.list.findIndex((ref) => nameKey(ref.name) === key);
  }

  const local = {
    list: (collection = "openai") => structuredClone(collectionOf(collection).list),
    getSelected: (collection = "openai") => structuredClone(collectionOf(collection).selected),
    getLive: (collection = "openai") => structuredClone(collectionOf(collection).live),
    getStored(target: PresetTarget) {
      const { collection, name } = targetOf(target);
      const found = collectionOf(collection);
      const index = indexOf(found, name);
      return index < 0 ? null : structuredClone(found.stored[index]);
    },
    /**
     * The connection of a saved `openai` preset (the live one when none is named, or none matches unless
     * `options.fallback` is false); `options.live` takes the selected preset's unsaved edits.
     */
    resolve(target?: PresetTarget | null, options?: { fallback?: boolean; live?: boolean }) {
      const { connections } = view();
      if (target === undefined || target === null) return structuredClone(connections.live);
      const openai = collectionOf("openai");
      const index = indexOf(openai, targetOf(target).name);
      if (index < 0) {
        if (options?.fallback === false) {
          throw new RpcError(ErrorCode.NOT_FOUND, `preset ${target.name} not found`);
        }
        return structuredClone(connections.live);
      }
      const selected = options?.live === true && openai.selected?.name === openai.list[index].name;
      return structuredClone(selected ? connections.live : connections.stored[index]);
    },
    state: overRemote(
      {
        update: (
          namespace: string,
          updater: (current: unknown, info: UpdaterInfo) => unknown,
          options?: UpdateOptions,
        ) => updateState(channel, PRESET_STATE, namespace, updater, options),
      },
      remote,
      "presets.state",
    ),
  };
  return overRemote(local, remote, "presets");
}
