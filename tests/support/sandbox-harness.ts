/**
 * Test harness for the plugin sandbox: a real {@link Lodge} (in-memory SQLite store, seeded, the default
 * character's chat open), a real JSON-RPC dispatcher over the full method table, and a real plugin
 * supervisor (sandbox process, workers) over a temporary data directory holding the plugin folders a test
 * describes.
 *
 * ```ts
 * await using h = await startSandboxHarness({
 *   plugins: [{ id: "hello", files: { "index.js": `console.log("ready", Luker.getContext().chat.length)` } }],
 * });
 * await h.waitForState("hello", "running");
 * const line = await h.waitForLog("hello", /^ready/);
 * ```
 *
 * Plugins report back to tests most simply through `console.*` (kept per plugin, read with
 * {@link SandboxHarness.logs} / {@link SandboxHarness.waitForLog}); {@link SandboxHarness.result} reads a
 * line `"<key> <json>"` a plugin logged with `console.log(key, JSON.stringify(value))`.
 * @module
 */

import { Lodge } from "../../core/lodge.ts";
import type { LlmOptions } from "../../core/llm/service.ts";
import type { PluginInfo, PluginLogEntry } from "../../core/plugin-admin.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { type PluginSupervisor, startPlugins, type SupervisorOptions } from "../../plugins/supervisor.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import { RpcError } from "../../rpc/errors.ts";
import type { Caller, Dispatcher, MethodSpec } from "../../rpc/method.ts";
import { extensionMethods } from "../../rpc/methods/extensions.ts";
import { methods as coreMethods } from "../../rpc/methods/mod.ts";
import { pluginMethods } from "../../rpc/methods/plugins.ts";

/** One plugin folder to create under `<data>/plugins/<id>/`. */
export interface PluginFixture {
  /** Folder name and plugin id. */
  id: string;
  /**
   * `manifest.json` content. Default `{ display_name: id, js: "index.js" }`; given keys are merged over
   * that default. Pass a string to write the file verbatim (e.g. invalid JSON).
   */
  manifest?: Record<string, unknown> | string;
  /** Files of the folder, relative path → content. Default: an empty `index.js`. */
  files?: Record<string, string>;
}

/** Options of {@link startSandboxHarness}. */
export interface HarnessOptions {
  /** Plugin folders to create before the supervisor starts. */
  plugins?: PluginFixture[];
  /** Runs after the folders are written and before the supervisor starts (e.g. to plant symlinks). */
  setup?: (dataDir: string) => void | Promise<void>;
  /** Supervisor settings (heartbeat, deadlines, limits, backoff...) over the harness defaults. */
  supervisor?: Partial<Omit<SupervisorOptions, "lodge" | "dispatcher" | "dataDir" | "methods">>;
  /** Extra methods added to the table (e.g. a test-only method a plugin calls). */
  methods?: readonly MethodSpec[];
  /** LLM options of the host (e.g. the offline model's pace). */
  llm?: LlmOptions;
}

/** A running host with plugins. Dispose it (or call `close`) to end every process and remove the data dir. */
export interface SandboxHarness extends AsyncDisposable {
  /** The temporary data directory. */
  readonly dataDir: string;
  /** The host's domain services. */
  readonly lodge: Lodge;
  /** The dispatcher plugins and {@link call} go through. */
  readonly dispatcher: Dispatcher;
  /** The supervisor (also set as `lodge.plugins`). */
  readonly supervisor: PluginSupervisor;
  /** Absolute folder of a plugin. */
  pluginDir(id: string): string;
  /** Writes a plugin folder (for `plugins.reload` / `plugins.enable` tests); does not start it. */
  writePlugin(plugin: PluginFixture): Promise<void>;
  /** The plugin's current `plugins.list` row; throws for an unknown id. */
  info(id: string): PluginInfo;
  /** Resolves once the plugin is in one of `states`; rejects after `timeoutMs` (default 15 s). */
  waitForState(
    id: string,
    states: PluginInfo["state"] | PluginInfo["state"][],
    timeoutMs?: number,
  ): Promise<PluginInfo>;
  /** The plugin's kept log lines, oldest first. */
  logs(id: string): PluginLogEntry[];
  /** Resolves with the first log line matching `match` (already logged or future); rejects on timeout. */
  waitForLog(id: string, match: string | RegExp, timeoutMs?: number): Promise<PluginLogEntry>;
  /** Waits for a line `"<key> <json>"` and returns the parsed JSON. */
  result<T = unknown>(id: string, key: string, timeoutMs?: number): Promise<T>;
  /** Calls a method as a token-holding client (admin capability); throws {@link RpcError} on an error response. */
  call(method: string, ...params: unknown[]): Promise<unknown>;
  /** Calls a method as the given caller (e.g. `{ kind: "plugin", pluginId }`). */
  callAs(caller: Caller, method: string, ...params: unknown[]): Promise<unknown>;
  /** PIDs of the sandbox processes alive now. */
  pids(): number[];
  /** The supervisor's one-line notices so far (refused, crashed, quarantined), oldest first. */
  notices(): string[];
  /** Stops the supervisor (every sandbox process), closes the store and removes the data dir. Idempotent. */
  close(): Promise<void>;
}

/** Writes one plugin folder under `<dataDir>/plugins/`. */
export async function writePluginFolder(dataDir: string, plugin: PluginFixture): Promise<void> {
  const dir = `${dataDir}/plugins/${plugin.id}`;
  await Deno.mkdir(dir, { recursive: true });
  const manifest = typeof plugin.manifest === "string"
    ? plugin.manifest
    : JSON.stringify({ display_name: plugin.id, js: "index.js", ...plugin.manifest }, null, 2);
  await Deno.writeTextFile(`${dir}/manifest.json`, manifest);
  for (const [path, content] of Object.entries(plugin.files ?? { "index.js": "" })) {
    const file = `${dir}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, content);
  }
}

/** Starts a host with the given plugins and waits until every plugin has left the `starting` state. */
export async function startSandboxHarness(options: HarnessOptions = {}): Promise<SandboxHarness> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-sandbox-test-" });
  await Deno.mkdir(`${dataDir}/plugins`, { recursive: true });
  for (const plugin of options.plugins ?? []) await writePluginFolder(dataDir, plugin);
  await options.setup?.(dataDir);

  const lodge = new Lodge(openSqliteStore(":memory:"), { onListenerError: () => {}, llm: options.llm });
  seedDefaults(lodge);
  await lodge.context.selectCharacterById(0);
  // the lead's table may already list the plugin and extension methods
  const known = new Set<string>(coreMethods.map((m) => m.name));
  const methods: MethodSpec[] = [
    ...coreMethods,
    ...[...pluginMethods, ...extensionMethods].filter((m) => !known.has(m.name)),
    ...(options.methods ?? []),
  ];
  const dispatcher = createDispatcher(methods, lodge, { maxInflight: 1024, onInternalError: () => {} });
  let supervisor: PluginSupervisor;
  const notices: string[] = [];
  try {
    supervisor = await startPlugins({
      lodge,
      dispatcher,
      methods,
      dataDir,
      notice: (line) => notices.push(line),
      ...options.supervisor,
    });
  } catch (error) {
    lodge.close();
    await Deno.remove(dataDir, { recursive: true });
    throw error;
  }
  lodge.plugins = supervisor;

  let stopped: Promise<void> | null = null;
  let nextId = 1;

  async function callAs(caller: Caller, method: string, ...params: unknown[]): Promise<unknown> {
    const frame = JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params });
    const text = await dispatcher.handle(frame, { caller });
    const response = JSON.parse(text ?? "null");
    if (response?.error) throw RpcError.fromObject(response.error);
    return response?.result;
  }

  function info(id: string): PluginInfo {
    const row = supervisor.list().find((p) => p.id === id);
    if (!row) throw new Error(`no plugin ${id}`);
    return row;
  }

  function until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const unsubscribe = supervisor.onChange(() => void check());
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      check();
    });
  }

  const harness: SandboxHarness = {
    dataDir,
    lodge,
    dispatcher,
    supervisor,
    pluginDir: (id) => `${dataDir}/plugins/${id}`,
    writePlugin: (plugin) => writePluginFolder(dataDir, plugin),
    info,
    waitForState(id, states, timeoutMs = 15_000) {
      const wanted = Array.isArray(states) ? states : [states];
      return until(
        () => {
          const row = supervisor.list().find((p) => p.id === id);
          return row && wanted.includes(row.state) ? row : undefined;
        },
        `${id} to be ${wanted.join("/")} (is ${supervisor.list().find((p) => p.id === id)?.state})`,
        timeoutMs,
      );
    },
    logs: (id) => supervisor.logs(id, { limit: 10_000 }),
    waitForLog(id, match, timeoutMs = 15_000) {
      const test = (text: string) => typeof match === "string" ? text.includes(match) : match.test(text);
      return until(
        () => supervisor.logs(id, { limit: 10_000 }).find((entry) => test(entry.text)),
        `a log line of ${id} matching ${match}`,
        timeoutMs,
      );
    },
    async result<T>(id: string, key: string, timeoutMs?: number): Promise<T> {
      const entry = await harness.waitForLog(
        id,
        new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} `),
        timeoutMs,
      );
      return JSON.parse(entry.text.slice(key.length + 1)) as T;
    },
    call: (method, ...params) => callAs({ kind: "client", connectionId: "harness" }, method, ...params),
    callAs,
    pids: () => supervisor.processes().map((p) => p.pid),
    notices: () => [...notices],
    close() {
      stopped ??= (async () => {
        await supervisor.stop();
        lodge.plugins = null;
        lodge.close();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      })();
      return stopped;
    },
    [Symbol.asyncDispose]: () => harness.close(),
  };
  await until(
    () => supervisor.list().every((p) => p.state !== "starting") ? true : undefined,
    "every plugin to finish starting",
    30_000,
  );
  return harness;
}
