/**
 * The synchronous prompt API inside a worker: `buildPresetAwarePromptMessages`, `substituteParams`,
 * `substituteParamsExtended` and `getTokenCount` run here over the mirror with the host's own engines
 * (`core/prompt`, `core/macros`, `core/tokens`), so they answer what the host would. What they write
 * goes to the host and shows here at once: `setExtensionPrompt` and variable writes are kept locally
 * until the host's mirror update carries them. `registerMacro(name, value)` registers a string on the
 * host, or a function that runs here, both for this worker's own substitutions and (through
 * `macro.invoke`) for the host's prompts. A function macro of another plugin is not expanded by a local
 * call (its function is in that plugin's worker); the host's methods expand it.
 *
 * A BPE encoding is loaded on first need, not at start: compiling one takes a worker half a second and,
 * with several workers starting at once, stalls the whole sandbox process for seconds. Until it is in
 * memory the synchronous counters throw "still loading" (and start loading it); one awaited
 * `getTokenCountAsync()` makes them synchronous for the worker's lifetime.
 * @module
 */

import {
  type BuildOptions,
  buildPresetAwarePromptMessages,
  chatVariables,
  createSubstituter,
  type ExtensionPrompt,
  extensionPrompt,
  type PromptSources,
  type PromptView,
  substituteArgs,
  tokenizerChoice,
} from "../../core/prompt/mod.ts";
import {
  checkMacroName,
  MacroRegistry,
  RecordingVariables,
  sanitizeMacroValue,
} from "../../core/macros/mod.ts";
import { countTokens, countTokensAsync } from "../../core/tokens/mod.ts";
import { PeerMethod } from "../../rpc/peer-methods.ts";
import type { Channel } from "./channel.ts";
import type { HostCall } from "./remote.ts";
import { type Mirror, MIRROR_FIELDS } from "./mirror.ts";

/** The members this module adds to `getContext()`. */
export interface PromptApi {
  /**
   * Assembles messages into the selected chat-completion preset's prompt (card, persona, World Info,
   * Author's Note, extension prompts, examples) within the token budget, synchronously, as the host
   * would.
   *
   * @example
   * ```js
   * const ctx = Luker.getContext();
   * const messages = ctx.buildPresetAwarePromptMessages({ messages: [{ role: "user", content: "Hi" }] });
   * ```
   */
  buildPresetAwarePromptMessages(options: BuildOptions): unknown[];
  /**
   * Expands macros (`{{user}}`, `{{char}}`, variables, plugin macros) over the open chat, with
   * SillyTavern's positional arguments.
   *
   * @example
   * ```js
   * const text = Luker.getContext().substituteParams("{{char}} greets {{user}}.");
   * ```
   */
  substituteParams(
    content: string,
    name1?: string,
    name2?: string,
    original?: string,
    group?: string,
    replaceCharacterCard?: boolean,
    additionalMacro?: Record<string, unknown>,
  ): string;
  /**
   * Expands macros with extra values (`{{name}}` → value) over the open chat.
   *
   * @example
   * ```js
   * const text = Luker.getContext().substituteParamsExtended("Mood: {{mood}}", { mood: "calm" });
   * ```
   */
  substituteParamsExtended(content: string, additionalMacro?: Record<string, unknown>): string;
  /**
   * Counts tokens with the selected tokenizer (synchronous once the encoding is loaded; see
   * `getTokenCountAsync`).
   *
   * @example
   * ```js
   * const ctx = Luker.getContext();
   * await ctx.getTokenCountAsync(""); // loads the encoding once
   * const tokens = ctx.getTokenCount("Hello there");
   * ```
   */
  getTokenCount(text: string, padding?: number): number;
  /**
   * Counts tokens, loading the tokenizer's encoding first when needed.
   *
   * @example
   * ```js
   * const tokens = await Luker.getContext().getTokenCountAsync("Hello there");
   * ```
   */
  getTokenCountAsync(text: string, padding?: number): Promise<number>;
  /**
   * Sets an extension prompt (SillyTavern's arguments: key, value, position, depth, scan, role); shows
   * in this worker's prompt at once and on the host after its update.
   *
   * @example
   * ```js
   * Luker.getContext().setExtensionPrompt("my-plugin", "Remember: it is raining.", 1, 2);
   * ```
   */
  setExtensionPrompt(
    key: string,
    value: string,
    position: number,
    depth: number,
    scan?: boolean,
    role?: number,
  ): void;
  /**
   * Registers a macro: a string, or a function run in this plugin for every expansion.
   *
   * @example
   * ```js
   * Luker.getContext().registerMacro("weather", () => "raining");
   * ```
   */
  registerMacro(name: string, value: unknown): void;
  /**
   * Removes a macro this plugin registered.
   *
   * @example
   * ```js
   * Luker.getContext().unregisterMacro("weather");
   * ```
   */
  unregisterMacro(name: string): void;
}

/** Builds the prompt API over the mirror; `call` sends a method call to the host. */
export function createPromptApi(
  channel: Channel,
  mirror: Mirror,
  call: HostCall,
  report: (error: unknown) => void,
): PromptApi {
  const macros = new MacroRegistry();
  /** Writes sent to the host and not yet answered (the answer comes after the mirror update). */
  const pendingPrompts = new Map<string, ExtensionPrompt>();
  const pendingVariables = { local: {} as Record<string, unknown>, global: {} as Record<string, unknown> };

  channel.onRequest(PeerMethod.MACRO_INVOKE, (params) => {
    const { name } = params as { name: string };
    const found = [...macros].find(([key]) => key === name);
    if (!found) throw new Error(`no macro ${name} in this plugin`);
    const [, value] = found;
    return sanitizeMacroValue(typeof value === "function" ? value(crypto.randomUUID()) : value);
  });

  function sources(): PromptSources {
    const out: Record<string, unknown> = {};
    for (const field of MIRROR_FIELDS) out[field] = mirror.get(field);
    out.presets = mirror.get("presets");
    const prompt = mirror.get("prompt") as PromptView;
    const view: PromptView = {
      ...prompt,
      extensionPrompts: { ...prompt.extensionPrompts, ...Object.fromEntries(pendingPrompts) },
      globalVariables: { ...prompt.globalVariables, ...pendingVariables.global },
    };
    out.prompt = view;
    const metadata = out.chat_metadata as Record<string, unknown>;
    if (Object.keys(pendingVariables.local).length) {
      out.chat_metadata = {
        ...metadata,
        variables: { ...chatVariables(out as never), ...pendingVariables.local },
      };
    }
    return out as unknown as PromptSources;
  }

  function send(method: string, args: unknown[], done?: () => void): void {
    call(method, args).catch(report).finally(done);
  }

  /** Runs one evaluation with a recording store and sends what it wrote. */
  function withVariables<T>(src: PromptSources, run: (variables: RecordingVariables) => T): T {
    const variables = new RecordingVariables(chatVariables(src), src.prompt.globalVariables);
    const result = run(variables);
    if (variables.changed) {
      const changes = structuredClone(variables.changes);
      Object.assign(pendingVariables.local, changes.local);
      Object.assign(pendingVariables.global, changes.global);
      send("variables.set", [changes], () => {
        for (const key of Object.keys(changes.local)) delete pendingVariables.local[key];
        for (const key of Object.keys(changes.global)) delete pendingVariables.global[key];
      });
    }
    return result;
  }

  const substitute = (content: string, options: Parameters<typeof createSubstituter>[1]) => {
    const src = sources();
    return withVariables(
      src,
      (variables) => createSubstituter(src, { ...options, macros, variables })(content),
    );
  };

  return {
    buildPresetAwarePromptMessages(options) {
      const src = sources();
      return withVariables(
        src,
        (variables) => buildPresetAwarePromptMessages(src, options, { macros, variables }),
      );
    },
    substituteParams(content, ...args) {
      return substitute(content, substituteArgs(...args));
    },
    substituteParamsExtended(content, additionalMacro) {
      return substitute(content, { additionalMacro });
    },
    getTokenCount(text, padding = 0) {
      return countTokens(text, tokenizerChoice(sources())) + padding;
    },
    async getTokenCountAsync(text, padding = 0) {
      return await countTokensAsync(text, tokenizerChoice(sources())) + padding;
    },
    setExtensionPrompt(key, value, position, depth, scan, role) {
      const prompt = extensionPrompt(value, position, depth, scan, role);
      pendingPrompts.set(key, prompt);
      send(
        "setExtensionPrompt",
        [key, prompt.value, prompt.position, prompt.depth, prompt.scan, prompt.role],
        () => {
          if (pendingPrompts.get(key) === prompt) pendingPrompts.delete(key);
        },
      );
    },
    registerMacro(name, value) {
      const key = checkMacroName(name);
      macros.register(key, value);
      send("registerMacro", [key, typeof value === "function" ? true : sanitizeMacroValue(value)]);
    },
    unregisterMacro(name) {
      const key = checkMacroName(name);
      macros.unregister(key);
      send("unregisterMacro", [key]);
    },
  };
}
