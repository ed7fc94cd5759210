/**
 * The trusted entry module of every plugin worker. It binds the worker's message port before any plugin
 * code runs, then waits for the host's `load` request, builds `getContext()`, installs the `Luker`,
 * `SillyTavern` and `st` globals, and loads the plugin with a dynamic `import()` so the plugin's whole
 * module graph is checked against this worker's own permissions.
 *
 * Everything the bootstrap relies on after plugin code starts (`postMessage`, `Deno.memoryUsage`, `JSON`,
 * `Object.hasOwn`) is taken before that code runs, and the heartbeat's answer is put together from
 * primitives: a plugin that replaces globals or prototypes cannot make its memory look smaller than it
 * is (and get a neighbour blamed). Its message listener is the first, so it answers each heartbeat
 * before any plugin code could (a later answer with the same id is dropped by the host). Host paths and
 * the host's process id (`Deno.cwd()`, `Deno.execPath()`, `Deno.ppid`, `Deno.mainModule`) are hidden.
 *
 * Host → worker requests: `ping` (heartbeat; answers `[heapUsed, external, rss]`), `load`, `event`,
 * `extensions.invoke`, `tool.invoke`, `tool.formatMessage`, `tool.shouldRegister`. Host → worker
 * notifications: `mirror`, `extensions`, `revoke`. Worker → host notifications besides method calls:
 * `$/log`, `$/resync`, `$/part` (a chat part taken, see `parts.ts`).
 * @module
 */

import * as Comlink from "comlink";
import type { EventTypes } from "../../core/event-types.ts";
import type { PresetsView } from "../../core/llm/presets-view.ts";
import { Channel } from "./channel.ts";
import { captureConsole } from "./console.ts";
import { createContext, createGlobal } from "./context.ts";
import { createContextExtras, installStModules, type StModules } from "./compat/mod.ts";
import { createApiFetch } from "./api-fetch.ts";
import { installPageStubs } from "./compat/dom.ts";
import { createRegexProviders } from "./regex.ts";
import { WorkerSlashCommands } from "./slash.ts";
import { WorkerEventSource } from "./events.ts";
import { type ExtensionEntry, WorkerExtensions } from "./extensions.ts";
import { createSendOpenAIRequest } from "./llm.ts";
import { Mirror, type MirrorUpdate } from "./mirror.ts";
import { cloneWithViews } from "./views.ts";
import { createPresets } from "./presets.ts";
import { createPromptApi } from "./prompt.ts";
import { createRemoteSurface } from "./remote.ts";
import { callHost, createRpcEndpoint } from "./endpoint.ts";
import { createEditorHandles } from "./takeover.ts";
import { WorkerTools } from "./tools.ts";
import { PeerMethod } from "../../rpc/peer-methods.ts";

/** The `load` request's params. */
interface LoadParams {
  /** The plugin's entry module (a `file:` URL inside its folder). */
  url: string;
  /** The host's context snapshot, the mirror's starting point. */
  mirror: Record<string, unknown>;
  /** The event-type table. */
  eventTypes: Record<string, string>;
  /** Every method name of the host's table. */
  methods: string[];
  /** The extension API registry as it stands. */
  extensions: Record<string, ExtensionEntry>;
  /** The plugin's id. */
  pluginId: string;
  /** Whether the plugin imports SillyTavern's modules: it gets `document` and `window` stubs too. */
  sillyTavern: boolean;
  /** The manifest's `generate_interceptor` (a global function name), or null. */
  interceptor: string | null;
}

// Bound now: plugin code may replace the globals later, the bootstrap keeps talking to the host.
const scope = globalThis as unknown as { postMessage(frame: string): void };
const post = scope.postMessage.bind(scope);
const memoryUsage = Deno.memoryUsage;
hideHostPaths();
const channel = new Channel(post);
globalThis.addEventListener("message", (event) => {
  const data = (event as MessageEvent).data;
  if (typeof data === "string") channel.receive(data);
});

captureConsole((level, text) => channel.notify("$/log", { level, text }));
// A plugin's stray rejection or timer error is its own bug: log it and keep the plugin running.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.error("Unhandled promise rejection:", event.reason);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  console.error("Uncaught error:", event.error ?? event.message);
});

channel.onRawRequest(PeerMethod.PING, () => {
  const { heapUsed, external, rss } = memoryUsage.call(Deno);
  // template literals turn primitive numbers into text without calling anything replaceable
  return `[${+heapUsed},${+external},${+rss}]`;
});

// The host withdraws read grants whose files were replaced after the plugin started.
channel.onNotification(PeerMethod.REVOKE, (params) => {
  for (const path of (params as { read: string[] }).read) Deno.permissions.revokeSync({ name: "read", path });
});

let loaded = false;
channel.onRequest(PeerMethod.LOAD, async (params) => {
  if (loaded) throw new Error("plugin already loaded");
  loaded = true;
  const p = params as LoadParams;
  const report = (error: unknown) => console.error(error);
  const mirror = new Mirror(p.mirror, (error) => {
    // Ask first: the host then answers before it sees the log line, whoever waits on that line.
    channel.notify("$/resync", null);
    console.warn("context mirror out of step, fetching a fresh copy:", (error as Error)?.message ?? error);
  });
  const eventSource = new WorkerEventSource(channel, report);
  const extensions = new WorkerExtensions(channel, p.extensions, report);
  const tools = new WorkerTools(channel, () => (mirror.get("presets") as PresetsView).toolCalling);
  let stModules: StModules | null = null;
  channel.onNotification(PeerMethod.MIRROR, (update) => {
    mirror.update(update as MirrorUpdate);
    stModules?.changed(update as MirrorUpdate);
  });
  channel.onNotification(
    PeerMethod.EXTENSIONS,
    (registry) => extensions.replace(registry as Record<string, ExtensionEntry>),
  );
  channel.onRequest(PeerMethod.EVENT, (delivery) => eventSource.deliver(delivery as never));
  channel.onRequest(PeerMethod.EXTENSION_INVOKE, (call) => extensions.invoke(call as never));
  channel.onRequest(PeerMethod.TOOL_INVOKE, (call) => tools.invoke(call as never));
  channel.onRequest(PeerMethod.TOOL_FORMAT_MESSAGE, (call) => tools.formatMessage(call as never));
  channel.onRequest(PeerMethod.TOOL_SHOULD_REGISTER, (call) => tools.shouldRegister(call as never));
  const slash = new WorkerSlashCommands(channel);
  channel.onRequest(PeerMethod.SLASH_INVOKE, (call) => slash.invoke(call as never));

  const remote = createRemoteSurface(
    Comlink.wrap(createRpcEndpoint(channel)),
    p.methods,
    (method, args) => callHost(channel, method, args),
  );
  // a host whose table lacks the method (a test's) leaves the plugin without saved settings, not broken
  const settings = await channel.request("getExtensionSettings", []).catch(() => null);
  const compatParts = {
    id: p.pluginId,
    settings,
    channel,
    mirror,
    report,
    onSettingsUpdated: (fn: () => void) => eventSource.on(p.eventTypes.SETTINGS_UPDATED, fn),
  };
  const extras = createContextExtras(compatParts);
  const context = createContext({
    compat: extras,
    channel,
    mirror,
    eventSource,
    eventTypes: Object.freeze({ ...p.eventTypes }) as EventTypes,
    extensions,
    presets: createPresets(channel, mirror, remote),
    tools,
    sendOpenAIRequest: createSendOpenAIRequest(channel, report),
    createMessageEditorHandle: createEditorHandles(channel, report),
    prompt: createPromptApi(channel, mirror, (method, args) => callHost(channel, method, args), report),
    registerManagedRegexProvider: createRegexProviders(channel),
    slash,
    remote,
  });
  const entry = createGlobal(context, extensions);
  for (const name of ["Luker", "SillyTavern", "st"]) {
    Object.defineProperty(globalThis, name, { value: entry, enumerable: true });
  }
  // `structuredClone(ctx.chat)` gives a plugin its own writable copy, as of plain data
  globalThis.structuredClone = cloneWithViews(globalThis.structuredClone);
  stModules = installStModules(context, extras, compatParts);
  const page = installPageStubs(p.sillyTavern, (level, text) => console[level](text));
  globalThis.fetch = createApiFetch(globalThis.fetch, (method, args) => callHost(channel, method, args));
  await import(p.url);
  page.ready(report);
  if (p.interceptor) subscribeInterceptor(eventSource, p.eventTypes.GENERATE_INTERCEPTORS, p.interceptor);
  // "running" means listening: the subscriptions made while loading are in place before the answer
  await Promise.all([eventSource.settled(), extensions.settled(), tools.settled(), stModules.settled()]);
  return { ok: true };
});

/** One run of the generation interceptors, as the host emits it. */
interface InterceptorRun {
  chat: unknown[];
  contextSize: number | null;
  type: string;
  aborted: boolean;
  immediately: boolean;
}

/**
 * Calls the manifest's `generate_interceptor` (a global function, looked up at each generation as
 * SillyTavern does) with SillyTavern's arguments: the chat about to be sent (its edits go into the
 * prompt), the context size, `abort(immediately)`, and the generation type.
 */
function subscribeInterceptor(eventSource: WorkerEventSource, event: string, name: string): void {
  let warned = false;
  eventSource.on(event, async (run: InterceptorRun) => {
    if (run.immediately) return; // an earlier interceptor aborted and asked that no other run
    const fn = (globalThis as Record<string, unknown>)[name];
    if (typeof fn !== "function") {
      if (!warned) console.warn(`generate_interceptor ${name} is not a global function: not called`);
      warned = true;
      return;
    }
    const abort = (immediately?: boolean) => {
      run.aborted = true;
      run.immediately = immediately === true;
    };
    await fn(run.chat, run.contextSize, abort, run.type);
  });
}

/** Makes the members that reveal host paths or the host's process id throw a clear error. */
function hideHostPaths(): void {
  const hidden = (what: string) => () => {
    throw new Deno.errors.NotCapable(`${what} is not available to plugins: the host's paths are hidden`);
  };
  for (const name of ["cwd", "execPath"]) {
    Object.defineProperty(Deno, name, {
      value: hidden(`Deno.${name}()`),
      configurable: false,
      writable: false,
    });
  }
  for (const name of ["ppid", "mainModule"]) {
    Object.defineProperty(Deno, name, { get: hidden(`Deno.${name}`), configurable: false });
  }
}
