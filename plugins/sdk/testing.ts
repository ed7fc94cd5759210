/**
 * The plugin test kit: starts a REAL Lodge host (the same `startHost` as `deno task start`) on a fresh
 * temp data folder holding the plugin folders a test names, with the offline model as its connection,
 * and hands back a typed JSON-RPC client and helpers that wait for what a plugin does: an event, a
 * message in the chat, a chat-state value, a plugin state, a log line. `await using` stops the host and
 * removes the folder.
 *
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { startPluginHost } from "../../plugins/sdk/testing.ts";
 *
 * Deno.test("my plugin counts sent messages", async () => {
 *   await using host = await startPluginHost({ plugins: [new URL("./", import.meta.url)] });
 *   await host.rpc.call("sendMessage", "Hello", { generate: false });
 *   const state = await host.waitForChatState("my-plugin", (s) => s?.sent === 1);
 *   assert.equal(state.sent, 1);
 * });
 * ```
 *
 * Run a plugin's tests with `deno task plugin-test <plugin folder>`.
 * @module
 */

import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PluginInfo, PluginLogEntry } from "../../core/plugin-admin.ts";
import { type HostOptions, type RunningHost, startHost } from "../../main.ts";
import {
  createHttpClient,
  createSocketClient,
  type HttpClient,
  type SocketClient,
} from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import type { HostEventArgs } from "../../core/event-payloads.ts";

/** The host's method table, as the typed clients know it. */
export type Methods = typeof methods;

/** Options of {@link startPluginHost}. */
export interface PluginHostOptions {
  /**
   * Plugin folders (paths or `file:` URLs) copied into the host's `<data>/plugins/` before it starts;
   * each keeps its folder name as its id.
   */
  plugins?: (string | URL)[];
  /** How long to wait for every plugin to leave `starting` (default 30 s). */
  startTimeoutMs?: number;
  /** Runs after the folders are copied and before the host starts (e.g. to write more files). */
  setup?: (dataDir: string) => void | Promise<void>;
  /** Host options besides the data folder, port and token. */
  host?: Omit<HostOptions, "dataDir" | "port" | "token">;
}

/** Options of the waiting helpers. */
export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
}

/** Options of {@link PluginHost.waitForEvent}. */
export interface EventWaitOptions<E extends string> extends WaitOptions {
  /** Started once the listener is in place, so an event it causes is not missed. */
  trigger?: () => unknown;
  /** Only an emit whose arguments pass this counts. */
  where?: (...args: EventArgsOf<E>) => boolean;
}

/** The arguments of event `E` (the host's payload for its own events). */
// deno-lint-ignore no-explicit-any
export type EventArgsOf<E extends string> = E extends keyof HostEventArgs ? HostEventArgs[E] : any[];

/** A chat message as the host stores it. */
export type ChatMessage = Record<string, unknown> & { name?: string; mes?: string; is_user?: boolean };

/** A running host with plugins; dispose it (or `close()`) to stop it. */
export interface PluginHost extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The API token. */
  readonly token: string;
  /** The temp data folder. */
  readonly dataDir: string;
  /** The running host (its `lodge` reaches the core services, for setup and read-back). */
  readonly host: RunningHost;
  /** A typed JSON-RPC client over HTTP, as a token-holding tool (every method of the table). */
  readonly rpc: HttpClient<Methods>;
  /** A typed JSON-RPC client over a WebSocket (events, host-to-client calls); closed with the host. */
  socket(): Promise<SocketClient<Methods>>;
  /** The plugin's `plugins.list` row. */
  plugin(id: string): Promise<PluginInfo>;
  /** Resolves once a plugin is in one of `states`. */
  waitForPluginState(
    id: string,
    states: PluginInfo["state"] | PluginInfo["state"][],
    options?: WaitOptions,
  ): Promise<PluginInfo>;
  /** Resolves with the arguments of the next emit of `event` (that passes `where`). */
  waitForEvent<E extends string>(event: E, options?: EventWaitOptions<E>): Promise<EventArgsOf<E>>;
  /**
   * Resolves with the first message of the open chat (from index `from`, default 0) that matches: a
   * string or pattern against its text, or a predicate.
   */
  waitForMessage(
    match: string | RegExp | ((message: ChatMessage, index: number) => boolean),
    options?: WaitOptions & { from?: number },
  ): Promise<{ index: number; message: ChatMessage }>;
  /** Resolves with a chat-state namespace's value of the open chat once `until` passes. */
  // deno-lint-ignore no-explicit-any
  waitForChatState<T = any>(
    namespace: string,
    until: (value: T | null) => boolean,
    options?: WaitOptions,
  ): Promise<T>;
  /** A plugin's kept console output and errors, oldest first. */
  logs(id: string): Promise<PluginLogEntry[]>;
  /** Resolves with the first log line of a plugin that matches (already logged or later). */
  waitForLog(id: string, match: string | RegExp, options?: WaitOptions): Promise<PluginLogEntry>;
  /** Stops the host and removes the data folder. Safe to call twice. */
  close(): Promise<void>;
}

const POLL_MS = 25;

/** Polls `read` until it answers something other than `undefined`. */
async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function matches(text: string, match: string | RegExp): boolean {
  return typeof match === "string" ? text.includes(match) : match.test(text);
}

function pathOf(folder: string | URL): string {
  return folder instanceof URL || folder.startsWith("file:") ? fileURLToPath(folder) : resolve(folder);
}

/** Copies a plugin folder (its files and subfolders, not its links) to `to`. */
async function copyFolder(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyFolder(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * Starts a host on a fresh temp data folder with the given plugin folders and resolves once every
 * plugin has left `starting` (running, or refused/crashed with its reason in `plugin(id)`).
 *
 * @example
 * ```ts ignore
 * await using host = await startPluginHost({ plugins: ["plugins/examples/message-counter"] });
 * const { index } = await host.rpc.call("sendMessage", "Hi", { generate: false });
 * ```
 */
export async function startPluginHost(options: PluginHostOptions = {}): Promise<PluginHost> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-plugin-test-" });
  const ids: string[] = [];
  let host: RunningHost;
  try {
    for (const folder of options.plugins ?? []) {
      const from = pathOf(folder).replace(/\/+$/, "");
      const id = basename(from);
      ids.push(id);
      await copyFolder(from, join(dataDir, "plugins", id));
    }
    await options.setup?.(dataDir);
    host = await startHost({ ...options.host, dataDir, port: 0, token: crypto.randomUUID() });
  } catch (error) {
    await Deno.remove(dataDir, { recursive: true });
    throw error;
  }
  const rpc = createHttpClient<Methods>(`${host.url}/rpc`, { token: host.token });
  const sockets: SocketClient<Methods>[] = [];
  let shared: Promise<SocketClient<Methods>> | undefined;
  let closed = false;

  const socket = async () => {
    const client = await createSocketClient<Methods>(`${host.url}/rpc`, { token: host.token });
    sockets.push(client);
    return client;
  };

  const plugin = async (id: string) => {
    const row = (await rpc.call("plugins.list")).find((p) => p.id === id);
    if (!row) throw new Error(`no plugin ${id}`);
    return row as PluginInfo;
  };

  const waitForPluginState: PluginHost["waitForPluginState"] = (id, states, opts = {}) => {
    const wanted = Array.isArray(states) ? states : [states];
    return poll(`plugin ${id} to be ${wanted.join(" or ")}`, async () => {
      const row = (await rpc.call("plugins.list")).find((p) => p.id === id) as PluginInfo | undefined;
      return row && wanted.includes(row.state) ? row : undefined;
    }, opts.timeoutMs);
  };

  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(sockets.map((s) => s.close().catch(() => {})));
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  };

  const kit: PluginHost = {
    url: host.url,
    token: host.token,
    dataDir,
    host,
    rpc,
    socket,
    plugin,
    waitForPluginState,
    async waitForEvent(event, opts = {}) {
      shared ??= socket();
      const client = await shared;
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const seen = Promise.withResolvers<EventArgsOf<typeof event>>();
      const sub = await client.on(event, (...args: unknown[]) => {
        const typed = args as EventArgsOf<typeof event>;
        if (!opts.where || opts.where(...typed)) seen.resolve(typed);
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${timeoutMs} ms waiting for event ${event}`)),
            timeoutMs,
          );
        });
        const triggered = Promise.resolve().then(() => opts.trigger?.());
        const [args] = await Promise.all([Promise.race([seen.promise, timeout]), triggered]);
        return args;
      } finally {
        clearTimeout(timer);
        await sub.off().catch(() => false);
      }
    },
    waitForMessage(match, opts = {}) {
      const test = typeof match === "function"
        ? match
        : (message: ChatMessage) => matches(String(message.mes ?? ""), match);
      let next = opts.from ?? 0;
      return poll(`a chat message matching ${String(match)}`, async () => {
        const count = await rpc.call("getMessageCount");
        for (; next < count; next++) {
          const message = await rpc.call("getMessage", next) as ChatMessage | null;
          if (message && test(message, next)) return { index: next, message };
        }
        return undefined;
      }, opts.timeoutMs);
    },
    waitForChatState(namespace, until, opts = {}) {
      return poll(`chat state ${namespace}`, async () => {
        const value = await rpc.call("getChatState", namespace);
        // deno-lint-ignore no-explicit-any
        return until(value as any) ? value as any : undefined;
      }, opts.timeoutMs);
    },
    logs: (id) => rpc.call("plugins.logs", id) as Promise<PluginLogEntry[]>,
    waitForLog(id, match, opts = {}) {
      return poll(`a log line of ${id} matching ${String(match)}`, async () => {
        const lines = await rpc.call("plugins.logs", id) as PluginLogEntry[];
        return lines.find((line) => matches(line.text, match));
      }, opts.timeoutMs);
    },
    close,
    [Symbol.asyncDispose]: close,
  };

  try {
    for (const id of ids) {
      await waitForPluginState(
        id,
        ["running", "stopped", "pending", "disabled", "crashed", "quarantined", "refused"],
        { timeoutMs: options.startTimeoutMs ?? 30_000 },
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return kit;
}
