/**
 * Presets by collection (`openai` chat-completion presets in SillyTavern's format, and the other
 * collections as opaque JSON), the selected preset with its live (possibly unsaved) copy, and preset
 * state: plugin runtime data bound to a preset, stored apart from it and never exported with it.
 *
 * Names match ignoring case and accents. Events: `PRESET_CHANGED({ apiId, name })` after a save or a
 * selection, `OAI_PRESET_CHANGED_BEFORE({ preset, presetName, settings })` (listeners may edit
 * `preset` before it becomes live) and `OAI_PRESET_CHANGED_AFTER()` around selecting an `openai`
 * preset, `PRESET_DELETED({ apiId, name })`. Every write also calls the {@link PresetService.onChange}
 * observers synchronously, before any event, so copies of the presets (plugin workers' mirrors) are
 * current before the writer's call returns.
 * @module
 */

import { z } from "zod";
import { conflict, invalid, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import { deepEqual, isObject } from "./json.ts";
import { CONNECTION_FIELDS, type ConnectionInfo, connectionOf, pickFields } from "./llm/settings.ts";
import { nameKey, normalizeNamespace, safeName } from "./names.ts";
import { applyPatch, type PatchOp } from "./patch.ts";
import { assertOpsStorable, checkStored, OpenAiPresetSchema } from "./schema/mod.ts";
import type { Store } from "./store.ts";

/** Preset collections, by SillyTavern's API ids. */
export const COLLECTIONS = Object.freeze([
  "openai",
  "textgenerationwebui",
  "kobold",
  "novel",
  "instruct",
  "context",
  "sysprompt",
  "reasoning",
]);

/** A saved preset. */
export interface PresetRef {
  collection: string;
  name: string;
  origin: { kind: "global" };
}

/** A preset's content. */
export type PresetBody = Record<string, unknown>;

/** The live copy of a collection: what requests use now. */
export interface LivePreset {
  /** The selected saved preset, or `null` when the live copy is a runtime preset. */
  ref: PresetRef | null;
  body: PresetBody;
  /** `global` when a saved preset is selected, `runtime` otherwise. */
  source: "global" | "runtime";
  /** Whether a saved preset is selected. */
  selected: boolean;
  /** Whether the live copy equals the saved one (no unsaved changes). */
  stored: boolean;
}

/** Names a preset for the state API: the selected `openai` preset when absent. */
export interface PresetTarget {
  collection?: string;
  name: string;
}

interface LiveDoc {
  name: string | null;
  body: PresetBody;
}

const LIVE_KIND = "preset-live";
const STATE_KIND = "preset-state";

/** Options of {@link PresetService.resolve}. */
export interface ResolveOptions {
  /** When the target names no saved preset: the live connection (true, the default) or `not_found`. */
  fallback?: boolean;
  /** When the target is the selected preset: its live copy, unsaved edits included (default: as saved). */
  live?: boolean;
}

/** Presets, the live copy and preset state over one store. */
export class PresetService {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #observers = new Set<() => void>();
  /** Plugin runtime data bound to a preset. */
  readonly state: PresetStateService;

  constructor(store: Store, events: EventBus) {
    this.#store = store;
    this.#events = events;
    this.state = new PresetStateService(store, (target) => this.#target(target));
  }

  /** Saved presets of a collection, by name. */
  list(collection = "openai"): PresetRef[] {
    return this.#store.listDocs(kindOf(collection)).map((d) => ref(collection, d.key))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The saved preset a name refers to: the exact name, else the first in {@link list} order that matches
   * ignoring case and accents; `null` when none.
   */
  find(collection: string, name: string): PresetRef | null {
    if (this.#store.getDoc(kindOf(collection), name) !== null) return ref(collection, name);
    const key = nameKey(name);
    return this.list(collection).find((r) => nameKey(r.name) === key) ?? null;
  }

  /** Calls `fn` synchronously after every change of a saved preset, a selection or a live copy. */
  onChange(fn: () => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  /** The selected saved preset, or `null` (nothing selected, or a runtime preset is live). */
  getSelected(collection = "openai"): PresetRef | null {
    const name = this.#live(collection)?.name;
    return name && this.#stored(collection, name) ? ref(collection, name) : null;
  }

  /** The live copy, including unsaved changes; `null` when the collection has none. */
  getLive(collection = "openai"): LivePreset | null {
    const live = this.#live(collection);
    if (!live) return null;
    const saved = live.name ? this.#stored(collection, live.name) : null;
    return {
      ref: saved ? ref(collection, live.name!) : null,
      body: live.body,
      source: saved ? "global" : "runtime",
      selected: saved !== null,
      stored: saved !== null && deepEqual(saved, live.body),
    };
  }

  /** The saved content of a preset, or `null`. */
  getStored(target: { collection?: string; name: string }): PresetBody | null {
    const found = this.find(target.collection ?? "openai", target.name);
    return found ? this.#stored(found.collection, found.name) : null;
  }

  /**
   * Saves a preset (an existing one under its stored spelling). The live copy follows when the saved
   * preset is the selected one; `select` selects it. With `keepConnection` (plugin callers) the body's
   * connection fields are ignored and the stored ones kept, so a plugin never decides where requests go
   * or which key they carry.
   */
  async save(
    target: { collection?: string; name: string },
    body: PresetBody,
    options: { select?: boolean; keepConnection?: boolean } = {},
  ): Promise<PresetRef> {
    const collection = target.collection ?? "openai";
    if (!isObject(body)) throw invalid("a preset body must be an object");
    checkPreset(collection, body);
    const name = this.find(collection, target.name)?.name ?? safeName(target.name.trim(), "preset name");
    this.#store.transaction(() => {
      let saved = body;
      if (options.keepConnection) {
        saved = { ...body };
        for (const field of CONNECTION_FIELDS) delete saved[field];
        Object.assign(saved, pickFields(this.#stored(collection, name) ?? {}, CONNECTION_FIELDS));
      }
      this.#store.putDoc(kindOf(collection), name, saved);
      const live = this.#live(collection);
      if (live?.name === name) {
        this.#store.putDoc(LIVE_KIND, collection, { name, body: saved } satisfies LiveDoc);
      }
    });
    this.#changed();
    if (options.select) await this.select(collection, name);
    else await this.#events.emit(eventTypes.PRESET_CHANGED, { apiId: collection, name });
    return ref(collection, name);
  }

  /** Applies lenient ops to a saved preset; a live copy without unsaved changes follows. */
  patch(target: { collection?: string; name: string }, ops: PatchOp[]): PresetRef {
    const collection = target.collection ?? "openai";
    const patched = this.#store.transaction(() => {
      const found = this.find(collection, target.name);
      if (!found) throw notFound(`preset ${target.name} not found`);
      const before = this.#stored(collection, found.name)!;
      const next = applyPatch(before, ops, "lenient");
      if (!isObject(next)) throw invalid("a preset body must stay an object");
      checkPreset(collection, next);
      this.#store.putDoc(kindOf(collection), found.name, next);
      const live = this.#live(collection);
      if (live?.name === found.name && deepEqual(live.body, before)) {
        this.#store.putDoc(LIVE_KIND, collection, { name: found.name, body: next } satisfies LiveDoc);
      }
      return found;
    });
    this.#changed();
    return patched;
  }

  /** Applies lenient ops to the live copy (unsaved edits); the selection stays. */
  patchLive(collection: string, ops: PatchOp[]): LivePreset {
    this.#store.transaction(() => {
      const live = this.#live(collection);
      if (!live) throw notFound(`collection ${collection} has no live preset`);
      const body = applyPatch(live.body, ops, "lenient");
      if (!isObject(body)) throw invalid("a preset body must stay an object");
      checkPreset(collection, body);
      this.#store.putDoc(LIVE_KIND, collection, { name: live.name, body } satisfies LiveDoc);
    });
    this.#changed();
    return this.getLive(collection)!;
  }

  /** Makes a saved preset the selected one; its saved content becomes the live copy. */
  async select(collection: string, name: string): Promise<LivePreset> {
    const found = this.find(collection, name);
    if (!found) throw notFound(`preset ${name} not found`);
    let body = this.#stored(collection, found.name)!;
    if (collection === "openai") {
      const payload = { preset: body, presetName: found.name, settings: this.#live(collection)?.body ?? {} };
      await this.#events.emit(eventTypes.OAI_PRESET_CHANGED_BEFORE, payload);
      if (isObject(payload.preset)) body = payload.preset;
    }
    this.#store.putDoc(LIVE_KIND, collection, { name: found.name, body } satisfies LiveDoc);
    this.#changed();
    await this.#events.emit(eventTypes.PRESET_CHANGED, { apiId: collection, name: found.name });
    if (collection === "openai") await this.#events.emit(eventTypes.OAI_PRESET_CHANGED_AFTER);
    return this.getLive(collection)!;
  }

  /** Deletes a saved preset and its state; a selected one leaves its live copy as a runtime preset. */
  async delete(target: { collection?: string; name: string }): Promise<void> {
    const collection = target.collection ?? "openai";
    const found = this.find(collection, target.name);
    if (!found) throw notFound(`preset ${target.name} not found`);
    this.#store.transaction(() => {
      this.state.deleteAll(found);
      this.#store.deleteDoc(kindOf(collection), found.name);
      const live = this.#live(collection);
      if (live?.name === found.name) {
        this.#store.putDoc(LIVE_KIND, collection, { name: null, body: live.body });
      }
    });
    this.#changed();
    await this.#events.emit(eventTypes.PRESET_DELETED, { apiId: collection, name: found.name });
  }

  /**
   * The connection of a preset: a saved preset (matched ignoring case and accents), or the live copy
   * when no target is given. `options.fallback: false` makes an unknown name `not_found` instead of the
   * live connection; `options.live` resolves the selected preset from its live copy (unsaved edits).
   */
  resolve(
    target?: { collection?: string; name: string } | null,
    options: ResolveOptions = {},
  ): ConnectionInfo {
    const live = () => connectionOf(this.getLive("openai")?.body ?? {});
    if (!target) return live();
    const found = this.find("openai", target.name);
    if (!found) {
      if (options.fallback === false) throw notFound(`preset ${target.name} not found`);
      return live();
    }
    if (options.live && this.getSelected("openai")?.name === found.name) return live();
    return connectionOf(this.#stored("openai", found.name)!);
  }

  /** The saved preset a state target names, checked to exist. */
  #target(target: PresetTarget | undefined): PresetRef {
    if (!target) {
      const selected = this.getSelected("openai");
      if (!selected) throw invalid("no preset is selected; name the preset as the target");
      return selected;
    }
    const found = this.find(target.collection ?? "openai", target.name);
    if (!found) throw notFound(`preset ${target.name} not found`);
    return found;
  }

  #changed(): void {
    for (const fn of this.#observers) {
      try {
        fn();
      } catch (error) {
        console.error("preset change observer failed:", error);
      }
    }
  }

  #live(collection: string): LiveDoc | null {
    return this.#store.getDoc<LiveDoc>(LIVE_KIND, checkCollection(collection));
  }

  #stored(collection: string, name: string): PresetBody | null {
    return this.#store.getDoc<PresetBody>(kindOf(collection), name);
  }
}

/** Preset state: one JSON object per namespace per preset, changed with lenient patches. */
export class PresetStateService {
  readonly #store: Store;
  readonly #resolve: (target: PresetTarget | undefined) => PresetRef;

  constructor(store: Store, resolve: (target: PresetTarget | undefined) => PresetRef) {
    this.#store = store;
    this.#resolve = resolve;
  }

  /** A namespace's state, or `null`. */
  get(namespace: string, target?: PresetTarget): unknown | null {
    return this.#store.getDoc(STATE_KIND, stateKey(this.#resolve(target), normalizeNamespace(namespace)));
  }

  /** Several namespaces' states keyed by the names as given (`null` when absent). */
  getBatch(namespaces: string[], target?: PresetTarget): Record<string, unknown> {
    const preset = this.#resolve(target);
    return Object.fromEntries(
      namespaces.map((ns) => [ns, this.#store.getDoc(STATE_KIND, stateKey(preset, normalizeNamespace(ns)))]),
    );
  }

  /**
   * Applies ops (missing state starts from `{}`); the data form of `presets.state.update`, whose
   * `test` ops guard every replaced or removed path, so a concurrent change is a conflict.
   */
  patch(
    namespace: string,
    ops: PatchOp[],
    target?: PresetTarget,
  ): { ok: true; applied: number; created: boolean } {
    const key = stateKey(this.#resolve(target), normalizeNamespace(namespace));
    assertOpsStorable(ops, "preset state");
    return this.#store.transaction(() => {
      const current = this.#store.getDoc(STATE_KIND, key);
      const next = applyPatch(current ?? {}, ops, "lenient");
      if (!isObject(next)) throw conflict("preset state must stay an object");
      this.#store.putDoc(STATE_KIND, key, next);
      return { ok: true as const, applied: ops.length, created: current === null };
    });
  }

  /** Deletes a namespace's state. */
  delete(namespace: string, target?: PresetTarget): { ok: true; deleted: boolean } {
    const key = stateKey(this.#resolve(target), normalizeNamespace(namespace));
    return { ok: true, deleted: this.#store.deleteDoc(STATE_KIND, key) };
  }

  /** Deletes every namespace's state of a preset; `deleted` counts them. */
  deleteAll(target?: PresetTarget): { ok: true; deleted: number } {
    const preset = this.#resolve(target);
    const prefix = stateKey(preset, "");
    return this.#store.transaction(() => {
      let deleted = 0;
      for (const doc of this.#store.listDocs(STATE_KIND)) {
        if (doc.key.startsWith(prefix) && this.#store.deleteDoc(STATE_KIND, doc.key)) deleted++;
      }
      return { ok: true as const, deleted };
    });
  }
}

/** An `openai` preset is typed as SillyTavern saves it; every preset stays within the storage limits. */
function checkPreset(collection: string, body: PresetBody): void {
  checkStored(collection === "openai" ? OpenAiPresetSchema : AnyObject, body, { what: "preset" });
}

const AnyObject = z.record(z.string(), z.unknown());

/**
 * Seeds the default `openai` preset and selects it on first run (no `openai` preset and no live copy);
 * call it at every start. Returns whether it seeded.
 */
export function seedPresets(store: Store): boolean {
  if (store.getDoc(LIVE_KIND, "openai") || store.listDocs(kindOf("openai")).length) return false;
  store.transaction(() => {
    store.putDoc(kindOf("openai"), DEFAULT_PRESET_NAME, DEFAULT_PRESET);
    store.putDoc(LIVE_KIND, "openai", { name: DEFAULT_PRESET_NAME, body: DEFAULT_PRESET } satisfies LiveDoc);
  });
  return true;
}

/** The name of the seeded preset. */
export const DEFAULT_PRESET_NAME = "Default";

/** The seeded chat-completion preset: the offline model, streaming, tools on, Lodge's own prompts. */
export const DEFAULT_PRESET: PresetBody = Object.freeze({
  chat_completion_source: "offline",
  openai_model: "gpt-4o-mini",
  openrouter_model: "openrouter/auto",
  custom_model: "",
  custom_url: "",
  temperature: 1,
  frequency_penalty: 0,
  presence_penalty: 0,
  top_p: 1,
  top_k: 0,
  top_a: 0,
  min_p: 0,
  repetition_penalty: 1,
  openai_max_context: 8192,
  openai_max_tokens: 400,
  max_context_unlocked: false,
  stream_openai: true,
  seed: -1,
  n: 1,
  show_thoughts: true,
  reasoning_effort: "auto",
  function_calling: true,
  function_calling_plain_text: false,
  names_behavior: 0,
  wrap_in_quotes: false,
  squash_system_messages: false,
  send_if_empty: "",
  impersonation_prompt: "[Write the next message as {{user}}, in {{user}}'s own voice, and nothing else.]",
  new_chat_prompt: "[A new conversation begins]",
  new_group_chat_prompt: "[A new group conversation begins with {{group}}]",
  new_example_chat_prompt: "[Example conversation]",
  continue_nudge_prompt: "[Carry on from where your last message stopped, without repeating it.]",
  group_nudge_prompt: "[Reply as {{char}} only.]",
  wi_format: "{0}",
  scenario_format: "{{scenario}}",
  personality_format: "{{personality}}",
  assistant_prefill: "",
  continue_prefill: false,
  continue_postfix: " ",
  bias_preset_selected: "Default (none)",
  prompts: [
    {
      identifier: "main",
      name: "Main Prompt",
      system_prompt: true,
      role: "system",
      content:
        "You are {{char}}. Answer {{user}} in character, in a few lively paragraphs, and never speak for {{user}}.",
    },
    { identifier: "nsfw", name: "Auxiliary Prompt", system_prompt: true, role: "system", content: "" },
    { identifier: "dialogueExamples", name: "Chat Examples", system_prompt: true, marker: true },
    {
      identifier: "jailbreak",
      name: "Post-History Instructions",
      system_prompt: true,
      role: "system",
      content: "",
    },
    { identifier: "chatHistory", name: "Chat History", system_prompt: true, marker: true },
    { identifier: "worldInfoAfter", name: "World Info (after)", system_prompt: true, marker: true },
    { identifier: "worldInfoBefore", name: "World Info (before)", system_prompt: true, marker: true },
    {
      identifier: "enhanceDefinitions",
      name: "Enhance Definitions",
      system_prompt: true,
      marker: false,
      role: "system",
      content: "Use what you know of {{char}} to add detail, but never contradict the character description.",
    },
    { identifier: "charDescription", name: "Char Description", system_prompt: true, marker: true },
    { identifier: "charPersonality", name: "Char Personality", system_prompt: true, marker: true },
    { identifier: "scenario", name: "Scenario", system_prompt: true, marker: true },
    { identifier: "personaDescription", name: "Persona Description", system_prompt: true, marker: true },
  ],
  prompt_order: [{
    character_id: 100001,
    order: [
      "main",
      "worldInfoBefore",
      "personaDescription",
      "charDescription",
      "charPersonality",
      "scenario",
      "enhanceDefinitions",
      "nsfw",
      "worldInfoAfter",
      "dialogueExamples",
      "chatHistory",
      "jailbreak",
    ].map((identifier) => ({ identifier, enabled: identifier !== "enhanceDefinitions" })),
  }],
});

function checkCollection(collection: string): string {
  if (!COLLECTIONS.includes(collection)) throw invalid(`unknown preset collection ${collection}`);
  return collection;
}

function kindOf(collection: string): string {
  return `preset:${checkCollection(collection)}`;
}

function ref(collection: string, name: string): PresetRef {
  return { collection, name, origin: { kind: "global" } };
}

/** State keys start with the preset, so a preset's states share a prefix (names never hold "/"). */
function stateKey(preset: PresetRef, namespace: string): string {
  return `${preset.collection}/${preset.name}/${namespace}`;
}
