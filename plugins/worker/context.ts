/**
 * The object `Luker.getContext()` returns inside a worker: local parts (the mirror's synchronous reads,
 * `context.presets`, `updateChatState`, `eventSource`, `eventTypes`, the extension API registry, function
 * tools, `sendOpenAIRequest` with its abort signal, the World Info members of `worldinfo.ts`) over the remote surface (every other method of the
 * host's table, through Comlink and JSON-RPC).
 * @module
 */

import type { Channel } from "./channel.ts";
import type { WorkerEventSource } from "./events.ts";
import type { WorkerExtensions } from "./extensions.ts";
import type { SendOpenAIRequest } from "./llm.ts";
import { Mirror, MIRROR_FIELDS } from "./mirror.ts";
import { overRemote, type RemoteSurface } from "./remote.ts";
import { CHAT_STATE, type UpdateOptions, type UpdaterInfo, updateState } from "./state-update.ts";
import type { EditorOptions, MessageEditorHandle } from "./takeover.ts";
import type { PromptApi } from "./prompt.ts";
import type { createRegexProviders } from "./regex.ts";
import type { SlashCommandSpec, WorkerSlashCommands } from "./slash.ts";
import type { ToolSpec, WorkerTools } from "./tools.ts";
import { createWorldInfo } from "./worldinfo.ts";

/** The parts the context is made of. */
export interface ContextParts {
  channel: Channel;
  mirror: Mirror;
  eventSource: WorkerEventSource;
  eventTypes: Readonly<Record<string, string>>;
  extensions: WorkerExtensions;
  /** `context.presets`. */
  presets: object;
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

/** Builds the context object; one per worker, shared by the `Luker`, `SillyTavern` and `st` globals. */
export function createContext(parts: ContextParts): Record<string, unknown> {
  const { channel, mirror, extensions, tools, remote } = parts;
  const local: Record<string, unknown> = {
    eventSource: parts.eventSource,
    eventTypes: parts.eventTypes,
    presets: parts.presets,
    getMessage: (index: number) => mirror.message(index),
    getMessageCount: () => mirror.messageCount(),
    updateChatState: (
      namespace: string,
      updater: (current: unknown, info: UpdaterInfo) => unknown,
      options?: UpdateOptions,
    ) => updateState(channel, CHAT_STATE, namespace, updater, options),
    registerExtensionApi: (name: string, api: object) => extensions.register(name, api),
    getExtensionApi: (name: string) => extensions.get(name),
    registerFunctionTool: (tool: ToolSpec) => tools.register(tool),
    unregisterFunctionTool: (name: string) => tools.unregister(name),
    isToolCallingSupported: () => tools.isToolCallingSupported(),
    canPerformToolCalls: (type: string) => tools.canPerformToolCalls(type),
    sendOpenAIRequest: parts.sendOpenAIRequest,
    createMessageEditorHandle: parts.createMessageEditorHandle,
    registerManagedRegexProvider: parts.registerManagedRegexProvider,
    registerSlashCommand: (spec: SlashCommandSpec) => parts.slash.register(spec),
    unregisterSlashCommand: (name: string) => parts.slash.unregister(name),
    ...parts.prompt,
    ...createWorldInfo(channel, mirror),
  };
  for (const field of MIRROR_FIELDS) {
    Object.defineProperty(local, field, { get: () => mirror.get(field), enumerable: true });
  }
  return overRemote(local, remote);
}
