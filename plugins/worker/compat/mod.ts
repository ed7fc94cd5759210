/**
 * SillyTavern inside a plugin worker: the modules an extension imports (`script.js`, `extensions.js`,
 * `openai.js`, ... see `table.ts`), built over the worker's `getContext()`, and the page stubs
 * (`dom.ts`). The generated modules of the plugin's snapshot read them through the global function
 * `Symbol.for("lodge.sillytavern")` (`plugins/shims/`).
 *
 * What differs from SillyTavern, by design: `chat`, `characters` and `oai_settings` are read-only views
 * of the host's data (change messages with `updateMessages`); `chat_metadata` is a working copy an
 * extension may change and save with `saveMetadata()`; saving a chat is a no-op (the host stores every
 * write when it is made); settings persist for `extension_settings[<plugin id>]` only.
 * @module
 */

import { ExtensionPromptPosition, ExtensionPromptRole } from "../../../core/prompt/types.ts";
import { regexPlacement } from "../../../core/regex/types.ts";
import { toOaiSettings } from "./oai-settings.ts";
import { wiPosition } from "../../../core/worldinfo/types.ts";
import type { Channel } from "../channel.ts";
import type { Mirror, MirrorUpdate } from "../mirror.ts";
import { liveArrayView, READ_ONLY, viewOf } from "../views.ts";
import { NoPageError } from "./dom.ts";
import { createSlashCommandModules } from "./slash.ts";
import * as utils from "./utils.ts";
import { ST_MODULES } from "./table.ts";

// deno-lint-ignore no-explicit-any
type Ctx = Record<string, any>;

/** What the modules are built from. */
export interface CompatParts {
  /** The plugin's id: its settings are `extension_settings[id]`. */
  id: string;
  /** `extension_settings[id]` as stored when the plugin started. */
  settings: unknown;
  channel: Channel;
  mirror: Mirror;
  report: (error: unknown) => void;
  /**
   * Subscribes to the host's `SETTINGS_UPDATED` (so `extensionSettings[id]` follows a change made by
   * another door); called once, the first time the plugin reads its settings.
   */
  onSettingsUpdated?: (fn: () => void) => void;
}

/**
 * A read-only live view of an object the mirror replaces on change (`oai_settings`): what it holds now,
 * the objects in it as read-only views.
 */
function liveView<T extends object>(read: () => T, name: string): T {
  const refuse = () => {
    throw new TypeError(`${name} is read-only in Lodge: ${READ_ONLY}`);
  };
  return new Proxy({} as T, {
    get: (_t, prop) => viewOf(Reflect.get(read(), prop)),
    has: (_t, prop) => Reflect.has(read(), prop),
    ownKeys: () => Reflect.ownKeys(read()),
    getOwnPropertyDescriptor: (_t, prop) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(read(), prop);
      return descriptor &&
        { ...descriptor, value: viewOf(descriptor.value), configurable: true, writable: false };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(read()),
    set: refuse,
    deleteProperty: refuse,
    defineProperty: refuse,
    setPrototypeOf: refuse,
    preventExtensions: refuse,
  });
}

/** Debounces an async save: one call per pause, its failure reported. */
function debouncedSave(save: () => Promise<unknown>, report: (error: unknown) => void, ms = 500) {
  return utils.debounce(() => void save().catch(report), ms);
}

/** The members SillyTavern's `getContext()` has that Lodge adds to the worker's context. */
export interface ContextExtras {
  /**
   * SillyTavern's `extension_settings`, as far as this plugin's own are concerned:
   * `extensionSettings[<plugin id>]` (also `third-party/<plugin id>`) holds what was saved, the same
   * store the plugin's settings form edits. Change it in place, then save. It follows the store: when
   * the settings form (or any other door) saves `extension_settings[<plugin id>]`, the object the
   * plugin holds takes the new value in place (edits the plugin has not saved yet give way to it).
   *
   * @example
   * ```js
   * const ctx = Luker.getContext();
   * ctx.extensionSettings["my-plugin"].threshold = 3;
   * ctx.saveSettingsDebounced();
   * ```
   */
  extensionSettings: Record<string, unknown>;
  /**
   * Saves `extensionSettings[<plugin id>]` now.
   *
   * @example
   * ```js
   * await Luker.getContext().saveSettings();
   * ```
   */
  saveSettings(): Promise<void>;
  /**
   * Saves `extensionSettings[<plugin id>]` once calls pause for half a second (SillyTavern's).
   *
   * @example
   * ```js
   * Luker.getContext().saveSettingsDebounced();
   * ```
   */
  saveSettingsDebounced(): void;
  /**
   * SillyTavern's `saveChat()`: the host stores every chat write when it is made, so there is nothing
   * left to save; resolves at once.
   *
   * @example
   * ```js
   * await Luker.getContext().saveChat();
   * ```
   */
  saveChat(): Promise<void>;
  /**
   * Reads the open chat again: the context's data is replaced with a fresh copy from the host.
   *
   * @example
   * ```js
   * await Luker.getContext().reloadCurrentChat();
   * ```
   */
  reloadCurrentChat(): Promise<void>;
  /**
   * Adds a system message (`is_system`, its kind in `extra.type`) to the open chat; resolves with its
   * index.
   *
   * @example
   * ```js
   * await Luker.getContext().sendSystemMessage("generic", "Summary saved.");
   * ```
   */
  sendSystemMessage(type: string, text?: string, extra?: Record<string, unknown>): Promise<unknown>;
  /**
   * Headers for a request to the host's `/api` (SillyTavern's): never the API token or a CSRF value.
   *
   * @example
   * ```js
   * const headers = Luker.getContext().getRequestHeaders(); // { "Content-Type": "application/json" }
   * ```
   */
  getRequestHeaders(): Record<string, string>;
}

/**
 * The stored value taking the place of the one a plugin holds: an object is updated in place, so a
 * reference the plugin kept (`const s = extension_settings[id]`) sees it; anything else is replaced.
 */
function adopt(held: unknown, stored: unknown): unknown {
  const plain = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!plain(held) || !plain(stored)) return stored;
  for (const key of Object.keys(held)) if (!Object.hasOwn(stored, key)) delete held[key];
  Object.assign(held, stored);
  return held;
}

/** Builds the {@link ContextExtras} of a worker. */
export function createContextExtras(parts: CompatParts): ContextExtras {
  const { id, channel, report } = parts;
  const extensionSettings: Record<string, unknown> = {};
  let own: unknown = parts.settings && typeof parts.settings === "object"
    ? structuredClone(parts.settings)
    : {};
  // The JSON text of the value as the store last had it (loaded, saved by this plugin, or read after a
  // change): a SETTINGS_UPDATED whose value is this one is the plugin's own save or another key's.
  let known = JSON.stringify(own);
  let following = false;
  const refresh = async () => {
    const stored = await channel.request("getExtensionSettings", []);
    const text = JSON.stringify(stored ?? {});
    if (text === known) return;
    known = text;
    own = adopt(own, structuredClone(stored ?? {}));
  };
  const follow = () => {
    if (following || !parts.onSettingsUpdated) return;
    following = true;
    parts.onSettingsUpdated(() => void refresh().catch(report));
  };
  // SillyTavern extensions name themselves by folder; `third-party/<id>` is the same folder there
  for (const key of [id, `third-party/${id}`]) {
    Object.defineProperty(extensionSettings, key, {
      get: () => {
        follow();
        return own;
      },
      set: (value) => {
        own = value;
      },
      enumerable: key === id,
    });
  }
  const warned = new Set<string>();
  const saveSettings = async () => {
    for (const key of Object.keys(extensionSettings)) {
      if (key === id || warned.has(key)) continue;
      warned.add(key);
      console.warn(
        `extension_settings[${JSON.stringify(key)}] is kept until the plugin stops, not saved: a plugin's ` +
          `settings persist under extension_settings[${JSON.stringify(id)}]`,
      );
    }
    const text = JSON.stringify(own ?? {});
    known = text;
    await channel.request("saveExtensionSettings", [JSON.parse(text)]);
  };
  const addMessage = (message: Record<string, unknown>) => channel.request("addMessages", [message]);
  return {
    extensionSettings,
    saveSettings,
    saveSettingsDebounced: debouncedSave(saveSettings, report),
    saveChat: () => Promise.resolve(),
    reloadCurrentChat: () => {
      channel.notify("$/resync", null);
      return Promise.resolve();
    },
    sendSystemMessage: (type: string, text?: string, extra: Record<string, unknown> = {}) =>
      addMessage({
        name: "SillyTavern System",
        is_user: false,
        is_system: true,
        mes: String(text ?? ""),
        extra: { ...extra, type: String(type) },
      }),
    getRequestHeaders: () => ({ "Content-Type": "application/json" }),
  };
}

/**
 * Installs the global the generated modules call, answering each provided path with its exports.
 * `ctx` is the worker's context (with the extras in it).
 */
export function installStModules(
  ctx: Ctx,
  extras: ContextExtras,
  parts: CompatParts,
): StModules {
  const { mirror, channel, report } = parts;
  const binders = new Set<(values: Record<string, unknown>) => void>();
  let metadata = structuredClone(mirror.get("chat_metadata") ?? {}) as Record<string, unknown>;
  const scalars = () => ({
    chat_metadata: metadata,
    this_chid: mirror.get("characterId") ?? undefined,
    name1: mirror.get("name1"),
    name2: mirror.get("name2"),
    online_status: mirror.get("online_status"),
  });
  let scheduled = false;
  let lastMetadata = mirror.get("chat_metadata");
  const refresh = () => {
    scheduled = false;
    const current = mirror.get("chat_metadata");
    if (current !== lastMetadata) {
      lastMetadata = current;
      metadata = structuredClone(current ?? {}) as Record<string, unknown>;
    }
    const values = scalars();
    for (const bind of binders) bind(values);
  };

  const saveMetadata = async () => {
    await channel.request("saveChatMetadata", [JSON.parse(JSON.stringify(metadata))]);
  };
  const quiet = (
    prompt: unknown,
    _quietToLoud?: unknown,
    skipWIAN?: unknown,
    _image?: unknown,
    _name?: unknown,
    responseLength?: unknown,
  ) => {
    if (typeof prompt === "object" && prompt !== null) return ctx.generateQuietPrompt(prompt);
    const options: Record<string, unknown> = {};
    if (typeof skipWIAN === "boolean") options.skipWIAN = skipWIAN;
    if (Number.isInteger(responseLength) && (responseLength as number) > 0) {
      options.responseLength = responseLength;
    }
    return ctx.generateQuietPrompt(String(prompt ?? ""), options);
  };
  const raw = (
    prompt: unknown,
    _api?: unknown,
    _instruct?: unknown,
    _quietToLoud?: unknown,
    systemPrompt?: unknown,
    responseLength?: unknown,
  ) => {
    if (typeof prompt === "object" && prompt !== null && !Array.isArray(prompt)) {
      return ctx.generateRaw(prompt);
    }
    const input: Record<string, unknown> = { prompt };
    if (typeof systemPrompt === "string" && systemPrompt) input.systemPrompt = systemPrompt;
    if (Number.isInteger(responseLength) && (responseLength as number) > 0) {
      input.responseLength = responseLength;
    }
    return ctx.generateRaw(input);
  };
  const noPage = (call: string) => () => {
    throw new NoPageError(call);
  };
  const noExtras = (call: string) => () => {
    throw new Error(`${call}: SillyTavern Extras is not available to Lodge plugins`);
  };
  const slash = createSlashCommandModules(ctx);
  // one oai_settings object per live copy (the mirror replaces the copy on change)
  const oaiSettings = new WeakMap<object, Record<string, unknown>>();
  const presets = () => {
    const live = (mirror.get("presets") as {
      collections?: Record<
        string,
        { live?: { ref?: { name?: string } | null; body?: Record<string, unknown> } }
      >;
    })?.collections?.openai?.live;
    if (!live?.body) return {};
    let settings = oaiSettings.get(live);
    if (!settings) oaiSettings.set(live, settings = toOaiSettings(live.body, live.ref?.name));
    return settings;
  };
  const modules: Record<string, Record<string, unknown>> = {
    "script.js": {
      eventSource: ctx.eventSource,
      event_types: ctx.eventTypes,
      saveSettingsDebounced: extras.saveSettingsDebounced,
      saveSettings: extras.saveSettings,
      substituteParams: (...args: unknown[]) => ctx.substituteParams(...args),
      substituteParamsExtended: (...args: unknown[]) => ctx.substituteParamsExtended(...args),
      generateQuietPrompt: quiet,
      generateRaw: raw,
      sendMessageAsUser: (text: unknown, _bias?: unknown) =>
        channel.request("addMessages", [{
          name: String(mirror.get("name1") ?? "User"),
          is_user: true,
          mes: String(text ?? ""),
          send_date: new Date().toISOString(),
        }]),
      sendSystemMessage: extras.sendSystemMessage,
      getRequestHeaders: extras.getRequestHeaders,
      getCurrentChatId: () => mirror.get("chatId") ?? undefined,
      saveChat: extras.saveChat,
      saveChatDebounced: () => {},
      saveChatConditional: extras.saveChat,
      reloadCurrentChat: extras.reloadCurrentChat,
      saveMetadata,
      setExtensionPrompt: (...args: unknown[]) => ctx.setExtensionPrompt(...args),
      extension_prompt_types: ExtensionPromptPosition,
      extension_prompt_roles: ExtensionPromptRole,
      main_api: "openai",
      chat: liveArrayView(() => mirror.view("chat")),
      characters: liveArrayView(() => mirror.view("characters")),
      ...scalars(),
      callPopup: noPage("callPopup()"),
    },
    "scripts/extensions.js": {
      extension_settings: extras.extensionSettings,
      getContext: () => ctx,
      saveMetadataDebounced: debouncedSave(saveMetadata, report),
      renderExtensionTemplate: (name: unknown, template: unknown) =>
        noPage(`renderExtensionTemplate(${JSON.stringify(name)}, ${JSON.stringify(template)})`)(),
      renderExtensionTemplateAsync: (name: unknown, template: unknown) =>
        Promise.reject(
          new NoPageError(
            `renderExtensionTemplateAsync(${JSON.stringify(name)}, ${JSON.stringify(template)})`,
          ),
        ),
      writeExtensionField: (...args: unknown[]) => ctx.writeExtensionField(...args),
      ModuleWorkerWrapper,
      doExtrasFetch: noExtras("doExtrasFetch()"),
      getApiUrl: noExtras("getApiUrl()"),
      modules: Object.freeze([]),
    },
    "scripts/openai.js": {
      sendOpenAIRequest: (...args: unknown[]) => ctx.sendOpenAIRequest(...args),
      oai_settings: liveView(presets, "oai_settings"),
      chat_completion_sources: CHAT_COMPLETION_SOURCES,
    },
    "scripts/extensions/regex/engine.js": {
      registerManagedRegexProvider: ctx.registerManagedRegexProvider,
      getRegexedString: (...args: unknown[]) => ctx.getRegexedString(...args),
      regex_placement: regexPlacement,
    },
    "scripts/world-info.js": {
      getWorldInfoPrompt: (...args: unknown[]) => ctx.getWorldInfoPrompt(...args),
      loadWorldInfo: (...args: unknown[]) => ctx.loadWorldInfo(...args),
      saveWorldInfo: (...args: unknown[]) => ctx.saveWorldInfo(...args),
      getWorldInfoNames: () => ctx.getWorldInfoNames(),
      world_info_position: wiPosition,
    },
    "scripts/utils.js": { ...utils },
    "scripts/macros.js": {
      MacrosParser: Object.freeze({
        registerMacro: (name: string, value: unknown) => ctx.registerMacro(name, value),
        unregisterMacro: (name: string) => ctx.unregisterMacro(name),
      }),
    },
    "scripts/tokenizers.js": {
      getTokenCount: (...args: unknown[]) => ctx.getTokenCount(...args),
      getTokenCountAsync: (...args: unknown[]) => ctx.getTokenCountAsync(...args),
    },
    ...slash.modules,
    "scripts/popup.js": {
      callGenericPopup: (...args: unknown[]) => ctx.callGenericPopup(...args),
      POPUP_TYPE,
      POPUP_RESULT,
    },
  };
  const lookup = (path: string) => {
    const exports = Object.hasOwn(modules, path) ? modules[path] : undefined;
    if (!exports || !Object.hasOwn(ST_MODULES, path)) return undefined;
    return Object.freeze({
      ...exports,
      $bind: (fn: (values: Record<string, unknown>) => void) => {
        binders.add(fn);
        fn(scalars());
      },
    });
  };
  Object.defineProperty(globalThis, Symbol.for("lodge.sillytavern"), { value: lookup });
  // the live bindings follow the fields they stand for, once per burst of updates that touch them
  return {
    changed(update) {
      if (scheduled || binders.size === 0) return;
      if ("ops" in update && !update.ops.some((op) => LIVE_PATHS.test(op.path))) return;
      scheduled = true;
      setTimeout(refresh, 0);
    },
    settled: slash.settled,
  };
}

/** What {@link installStModules} hands back to the bootstrap. */
export interface StModules {
  /** Hears each mirror update: the live bindings (`name1`, `this_chid`, ...) follow it. */
  changed(update: MirrorUpdate): void;
  /** Resolves once every slash command registered so far is on the host. */
  settled(): Promise<void>;
}

/** The context fields behind the live bindings of `script.js`. */
const LIVE_PATHS = /^\/(chat_metadata|characterId|name1|name2|online_status)(\/|$)/;

/** SillyTavern's `ModuleWorkerWrapper`: runs a callback, never two runs at once. */
class ModuleWorkerWrapper {
  #callback: (...args: unknown[]) => unknown;
  #running: Promise<unknown> | null = null;

  constructor(callback: (...args: unknown[]) => unknown) {
    if (typeof callback !== "function") throw new TypeError("ModuleWorkerWrapper needs a function");
    this.#callback = callback;
  }

  /** Runs the callback unless a run is in progress. */
  async update(...args: unknown[]): Promise<void> {
    if (this.#running) return;
    try {
      this.#running = Promise.resolve(this.#callback(...args));
      await this.#running;
    } finally {
      this.#running = null;
    }
  }
}

/** SillyTavern's chat-completion source names. */
const CHAT_COMPLETION_SOURCES = Object.freeze({
  OPENAI: "openai",
  CLAUDE: "claude",
  OPENROUTER: "openrouter",
  AI21: "ai21",
  MAKERSUITE: "makersuite",
  MISTRALAI: "mistralai",
  CUSTOM: "custom",
  COHERE: "cohere",
  PERPLEXITY: "perplexity",
  GROQ: "groq",
  DEEPSEEK: "deepseek",
});

/** SillyTavern's popup types. */
const POPUP_TYPE = Object.freeze({ TEXT: 1, CONFIRM: 2, INPUT: 3, DISPLAY: 4, CROP: 5 });

/** SillyTavern's popup results: affirmative, negative, or cancelled (null). */
const POPUP_RESULT = Object.freeze({ AFFIRMATIVE: 1, NEGATIVE: 0, CANCELLED: null });
