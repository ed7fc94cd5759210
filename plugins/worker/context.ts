/**
 * The object `Luker.getContext()` returns inside a worker: local parts (the mirror's synchronous reads,
 * `updateChatState`, `eventSource`, `eventTypes`, the extension API registry) over the remote surface
 * (every other method of the host's table, through Comlink and JSON-RPC).
 * @module
 */

import type { Channel } from "./channel.ts";
import { updateChatState, type UpdateOptions, type UpdaterInfo } from "./chat-state.ts";
import type { WorkerEventSource } from "./events.ts";
import type { WorkerExtensions } from "./extensions.ts";
import { Mirror, MIRROR_FIELDS } from "./mirror.ts";
import type { RemoteSurface } from "./remote.ts";

/** The parts the context is made of. */
export interface ContextParts {
  channel: Channel;
  mirror: Mirror;
  eventSource: WorkerEventSource;
  eventTypes: Readonly<Record<string, string>>;
  extensions: WorkerExtensions;
  remote: RemoteSurface;
}

/** Builds the context object; one per worker, shared by the `Luker`, `SillyTavern` and `st` globals. */
export function createContext(parts: ContextParts): Record<string, unknown> {
  const { channel, mirror, extensions, remote } = parts;
  const local: Record<string, unknown> = {
    eventSource: parts.eventSource,
    eventTypes: parts.eventTypes,
    getMessage: (index: number) => mirror.message(index),
    getMessageCount: () => mirror.messageCount(),
    updateChatState: (
      namespace: string,
      updater: (current: unknown, info: UpdaterInfo) => unknown,
      options?: UpdateOptions,
    ) => updateChatState(channel, namespace, updater, options),
    registerExtensionApi: (name: string, api: object) => extensions.register(name, api),
    getExtensionApi: (name: string) => extensions.get(name),
  };
  for (const field of MIRROR_FIELDS) {
    Object.defineProperty(local, field, { get: () => mirror.get(field), enumerable: true });
  }
  return new Proxy(local, {
    get(target, prop, receiver) {
      if (Reflect.has(target, prop)) return Reflect.get(target, prop, receiver);
      return typeof prop === "string" ? remote.get(prop) : undefined;
    },
    has: (target, prop) => Reflect.has(target, prop) || (typeof prop === "string" && remote.has(prop)),
  });
}
