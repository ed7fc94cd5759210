/**
 * The object `Luker.getContext()` returns inside a worker: local parts (the mirror's synchronous reads,
 * `context.presets`, `updateChatState`, `eventSource`, `eventTypes`, the extension API registry, function
 * tools, `sendOpenAIRequest` with its abort signal, the World Info members of `worldinfo.ts`) over the remote surface (every other method of the
 * host's table, through Comlink and JSON-RPC).
 * @module
 */

import type { Channel } from "./channel.ts";
import type { ContextExtras } from "./compat/mod.ts";
import type { ContextSnapshot } from "../../core/context.ts";
import type { EventTypes } from "../../core/event-types.ts";
import type { EventSource } from "./events.ts";
import type { WorkerExtensions } from "./extensions.ts";
import type { SendOpenAIRequest } from "./llm.ts";
import { type MessageView, type Mirror, MIRROR_FIELDS, type MirrorField } from "./mirror.ts";
import { READ_ONLY } from "./views.ts";
import type { createPresets } from "./presets.ts";
import { type RemoteSurface, withRemote } from "./remote.ts";
import {
  CHAT_STATE,
  type UpdateOptions,
  type UpdateResult,
  type UpdaterInfo,
  updateState,
} from "./state-update.ts";
import type { EditorOptions, MessageEditorHandle } from "./takeover.ts";
import type { PromptApi } from "./prompt.ts";
import type { createRegexProviders } from "./regex.ts";
import type { SlashCommandSpec, WorkerSlashCommands } from "./slash.ts";
import type { ToolSpec, WorkerTools } from "./tools.ts";
import { createWorldInfo } from "./worldinfo.ts";

/** The parts the context is made of. */
export interface ContextParts {
  /** SillyTavern's context members Lodge adds (`compat/mod.ts`): settings, saving, system messages. */
  compat: ContextExtras;
  channel: Channel;
  mirror: Mirror;
  eventSource: EventSource;
  eventTypes: EventTypes;
  extensions: WorkerExtensions;
  /** `context.presets`. */
  presets: ReturnType<typeof createPresets>;
  tools: WorkerTools;
  sendOpenAIRequest: SendOpenAIRequest;
  /** `context.createMessageEditorHandle` (message takeover). */
  createMessageEditorHandle: (options: EditorOptions) => MessageEditorHandle;
  /** The local prompt, macro and token methods. */
  prompt: PromptApi;
  /** `context.registerManagedRegexProvider`. */
  registerManagedRegexProvider: ReturnType<typeof createRegexProviders>;
  /** `context.registerSlashCommand` / `unregisterSlashCommand`. */
  slash: WorkerSlashCommands;
  remote: RemoteSurface;
}

/**
 * The members the worker answers itself. Each member's JSDoc is what the plugin kit's `lodge.d.ts`
 * shows for it (the generator reads this function's type).
 */
function localMembers(parts: ContextParts) {
  const { channel, mirror, extensions, tools } = parts;
  return {
    ...parts.compat,
    /**
     * SillyTavern's event emitter, across plugins and the host.
     *
     * @example
     * ```js
     * const { eventSource, eventTypes } = Luker.getContext();
     * eventSource.on(eventTypes.MESSAGE_SENT, (index) => console.log("user wrote message", index));
     * ```
     */
    eventSource: parts.eventSource,
    /**
     * The event names: keys as in SillyTavern, values as emitted.
     *
     * @example
     * ```js
     * const { eventTypes } = Luker.getContext();
     * console.log(eventTypes.MESSAGE_RECEIVED); // "message_received"
     * ```
     */
    eventTypes: parts.eventTypes,
    /**
     * Chat-completion presets: synchronous reads from the mirror, writes and preset state on the host.
     *
     * @example
     * ```js
     * const { presets } = Luker.getContext();
     * const selected = presets.getSelected(); // { collection: "openai", name: "Default" }
     * const live = presets.getLive();
     * ```
     */
    presets: parts.presets,
    /**
     * A read-only view of message `index` of the open chat (synchronous, from the mirror); undefined
     * when there is none.
     *
     * @example
     * ```js
     * const ctx = Luker.getContext();
     * const last = ctx.getMessage(ctx.getMessageCount() - 1);
     * console.log(last?.mes);
     * ```
     */
    getMessage: (index: number) => mirror.message(index),
    /**
     * The number of messages of the open chat (synchronous, from the mirror).
     *
     * @example
     * ```js
     * const count = Luker.getContext().getMessageCount();
     * ```
     */
    getMessageCount: () => mirror.messageCount(),
    /**
     * Changes a chat-state namespace with an updater run on the freshest value; re-run on conflict, so
     * concurrent writers lose nothing. `{ ok: false }` only when retries run out.
     *
     * @example
     * ```js
     * const { ok } = await Luker.getContext().updateChatState("my-plugin", (current) => ({
     *   ...current,
     *   count: (current?.count ?? 0) + 1,
     * }));
     * ```
     */
    // deno-lint-ignore no-explicit-any
    updateChatState: <T = any>(
      namespace: string,
      updater: (current: T | undefined, info: UpdaterInfo) => T | Promise<T>,
      options?: UpdateOptions,
    ): Promise<UpdateResult> =>
      updateState(channel, CHAT_STATE, namespace, updater as (current: unknown) => unknown, options),
    /**
     * Offers an API object to every plugin under `name`; its functions run in this plugin.
     *
     * @example
     * ```js
     * Luker.getContext().registerExtensionApi("dice", { roll: (sides) => 1 + Math.floor(Math.random() * sides) });
     * ```
     */
    registerExtensionApi: (name: string, api: object): void => extensions.register(name, api),
    /**
     * Another plugin's API by name (each method returns a promise; this plugin's own API as it is), or
     * null while none is registered.
     *
     * @example
     * ```js
     * const dice = Luker.getContext().getExtensionApi("dice");
     * const rolled = dice ? await dice.roll(20) : null;
     * ```
     */
    // deno-lint-ignore no-explicit-any
    getExtensionApi: (name: string): Record<string, (...args: any[]) => Promise<any>> | null =>
      extensions.get(name) as never,
    /**
     * Registers a function tool the model may call; its functions run in this plugin.
     *
     * @example
     * ```js
     * await Luker.getContext().registerFunctionTool({
     *   name: "roll_dice",
     *   description: "Rolls a die",
     *   parameters: { type: "object", properties: { sides: { type: "number" } } },
     *   action: ({ sides }) => String(1 + Math.floor(Math.random() * Number(sides ?? 6))),
     * });
     * ```
     */
    registerFunctionTool: (tool: ToolSpec): Promise<void> => tools.register(tool),
    /**
     * Removes a function tool this plugin registered.
     *
     * @example
     * ```js
     * await Luker.getContext().unregisterFunctionTool("roll_dice");
     * ```
     */
    unregisterFunctionTool: (name: string): Promise<void> => tools.unregister(name),
    /**
     * Whether the selected connection can call tools (synchronous).
     *
     * @example
     * ```js
     * if (Luker.getContext().isToolCallingSupported()) console.log("tools on");
     * ```
     */
    isToolCallingSupported: (): boolean => tools.isToolCallingSupported(),
    /**
     * Whether a generation of `type` would offer tools (synchronous).
     *
     * @example
     * ```js
     * const canCall = Luker.getContext().canPerformToolCalls("normal");
     * ```
     */
    canPerformToolCalls: (type: string): boolean => tools.canPerformToolCalls(type),
    /**
     * Sends a chat-completion request through the host's connection; `signal` aborts it.
     *
     * @example
     * ```js
     * const reply = await Luker.getContext().sendOpenAIRequest("quiet", [{ role: "user", content: "Hi" }], null);
     * console.log(reply.choices[0].message.content);
     * ```
     */
    sendOpenAIRequest: parts.sendOpenAIRequest,
    /**
     * A message takeover handle: a `GENERATE_TAKEOVER_DISPATCH` listener sets it as `takeoverHandle`
     * and writes the reply into it.
     *
     * @example
     * ```js
     * const ctx = Luker.getContext();
     * ctx.eventSource.on(ctx.eventTypes.GENERATE_TAKEOVER_DISPATCH, (data) => {
     *   const handle = ctx.createMessageEditorHandle({ generationType: data.type, owner: "my-plugin" });
     *   data.takeoverHandle = handle;
     *   handle.setText("Hello from the plugin.");
     *   handle.commit();
     * });
     * ```
     */
    createMessageEditorHandle: parts.createMessageEditorHandle,
    /**
     * A regex provider: scripts this plugin keeps, run by the host beside the user's.
     *
     * @example
     * ```js
     * const handle = Luker.getContext().registerManagedRegexProvider("my-plugin", { reloadOnChange: true });
     * handle.upsertScript({ id: "r1", scriptName: "Shout", findRegex: "/!/g", replaceString: "!!", placement: [2] });
     * ```
     */
    registerManagedRegexProvider: parts.registerManagedRegexProvider,
    /**
     * Registers a slash command; its callback runs in this plugin.
     *
     * @example
     * ```js
     * await Luker.getContext().registerSlashCommand({
     *   name: "roll",
     *   helpString: "Rolls a d20.",
     *   callback: () => String(1 + Math.floor(Math.random() * 20)),
     * });
     * ```
     */
    registerSlashCommand: (spec: SlashCommandSpec): Promise<void> => parts.slash.register(spec),
    /**
     * Removes a slash command this plugin registered.
     *
     * @example
     * ```js
     * await Luker.getContext().unregisterSlashCommand("roll");
     * ```
     */
    unregisterSlashCommand: (name: string): Promise<boolean> => parts.slash.unregister(name),
    ...parts.prompt,
    ...createWorldInfo(channel, mirror),
  };
}

/** The context data fields read from the mirror (`context.chat`, `context.name1`, ...). */
export type MirrorFields =
  & Readonly<Pick<ContextSnapshot, Exclude<MirrorField, "chat">>>
  & {
    /**
     * The open chat's messages (read-only, current after every awaited write; change them with
     * `updateMessages` and `addMessages`).
     *
     * @example
     * ```js
     * const { chat } = Luker.getContext();
     * const last = chat.at(-1);
     * console.log(last?.name, last?.mes);
     * ```
     */
    readonly chat: readonly MessageView[];
  };

/** What the worker answers itself: {@link localMembers} and the mirror's fields. */
export type LocalContext = ReturnType<typeof localMembers> & MirrorFields;

/** Builds the context object; one per worker, shared by the `Luker`, `SillyTavern` and `st` globals. */
export function createContext(parts: ContextParts): LocalContext {
  const local = localMembers(parts);
  for (const field of MIRROR_FIELDS) {
    Object.defineProperty(local, field, {
      get: () => parts.mirror.view(field),
      set: () => {
        throw new TypeError(READ_ONLY);
      },
      enumerable: true,
    });
  }
  return withRemote(local as LocalContext, parts.remote);
}

/** The search tools' names, as Luker names them. */
const SEARCH_TOOL_NAMES = Object.freeze({ SEARCH: "luker_web_search", VISIT: "luker_web_visit" } as const);

/** The object behind the `Luker`, `SillyTavern` and `st` globals. */
export function createGlobal(context: LocalContext, extensions: WorkerExtensions) {
  return Object.freeze({
    /**
     * The plugin API: the context data (read-only, current), events, state and every method of the
     * host's table a plugin may call.
     *
     * @example
     * ```js
     * const ctx = Luker.getContext(); // the same object as SillyTavern.getContext() and st.getContext()
     * console.log(ctx.name2, ctx.chat.length);
     * ```
     */
    getContext: (): LocalContext => context,
    /**
     * The bundled search plugin's `searchTools` API with its tool names; null while it is not running.
     *
     * @example
     * ```js
     * const search = Luker.searchTools;
     * if (search) console.log(search.toolNames.SEARCH); // "luker_web_search"
     * ```
     */
    get searchTools():
      | (Record<string, (...args: unknown[]) => Promise<unknown>> & { toolNames: typeof SEARCH_TOOL_NAMES })
      | null {
      const api = extensions.get("searchTools");
      return api ? Object.freeze({ toolNames: SEARCH_TOOL_NAMES, ...api }) as never : null;
    },
  });
}

/** The type of the `Luker`, `SillyTavern` and `st` globals. */
export type LukerGlobal = ReturnType<typeof createGlobal>;
