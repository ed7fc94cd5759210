/**
 * The plugin supervisor: finds plugins, runs them in sandbox processes (one shared process, plus one per
 * plugin that asks for isolation or has crashed before), routes their calls to the dispatcher with the
 * plugin's identity stamped here, and keeps the host safe from them.
 *
 * Containment: a heartbeat per worker, a deadline per call into a plugin, per-plugin limits on calls in
 * flight and calls per second. A plugin that stops answering, exhausts its heap, floods the host or
 * throws while loading is stopped (its process killed by PID when its worker cannot be stopped alone),
 * marked `crashed` with the reason, and retried after an exponential back-off in a process of its own,
 * until it is `quarantined`. The other plugins of a killed process restart at once in a fresh one. Each
 * plugin that becomes refused, crashed or quarantined is reported in one line with the reason
 * ({@link SupervisorOptions.notice}).
 * @module
 */

import { writeFileAtomic } from "../core/atomic-file.ts";
import { invalid, LodgeError, notFound } from "../core/errors.ts";
import { withDeadline } from "../core/deadline.ts";
import { eventTypes } from "../core/event-types.ts";
import type { Lodge } from "../core/lodge.ts";
import type {
  InstallRequest,
  InstallResult,
  NamespaceOwner,
  PluginAdmin,
  PluginInfo,
  PluginLogEntry,
  RescanResult,
} from "../core/plugin-admin.ts";
import { ErrorCode, RpcError } from "../rpc/errors.ts";
import type { Caller, Dispatcher } from "../rpc/method.ts";
import { type DiscoveredPlugin, discoverPlugins, inspectPlugin } from "./discovery.ts";
import { GrantGuard } from "./grant-guard.ts";
import { InstallError, installPlugin } from "./install.ts";
import { CallLimiter, type CallLimits, defaultLimits, type Refusal } from "./limits.ts";
import { coversGrants, grantsBeyond, GrantStore } from "./grant-store.ts";
import { type Grants, isPluginId, normalizeName } from "./manifest.ts";
import { PluginPeer, RESPONSE_PREFIX } from "./peer.ts";
import { type ExitInfo, makeSandboxDenoDir, type ProcessGrants, SandboxProcess } from "./process.ts";
import type { SandboxEnvelope, WorkerPermissions } from "./sandbox/protocol.ts";
import { SandboxSequencer } from "./sequencer.ts";
import { snapshotFolder } from "./snapshot.ts";
import { ChatTransfer, PartAcks, type PartRecipients, prepareChat, withChat } from "./chat-parts.ts";
import type { PatchOp } from "../core/patch.ts";
import { shimSnapshot } from "./shims/mod.ts";
import { makeWorkDir } from "./workdir.ts";
import { PeerMethod } from "../rpc/peer-methods.ts";

/** Settings of the supervisor; everything but the first four has a default. */
export interface SupervisorOptions {
  /** The host's domain services (context mirror source, event bus). */
  lodge: Lodge;
  /** Where plugin calls go. */
  dispatcher: Dispatcher;
  /** The method table the dispatcher serves: its names make up the worker's `getContext()`. */
  methods: readonly { name: string }[];
  /** The data directory (`<data>/plugins/<id>/`). */
  dataDir: string;
  /**
   * V8 heap cap of each sandbox process's isolates, MiB. Default 512: a worker's copy of a 100 MB chat
   * takes about 150 MiB of heap, and a resync holds the old copy and the new one for a moment.
   */
  heapMb?: number;
  /** Resident memory cap of a sandbox process (ArrayBuffers live outside the V8 heap), MiB. Default 2048. */
  rssMb?: number;
  /** Heartbeat period, ms. Default 250. */
  heartbeatMs?: number;
  /** A worker that leaves a heartbeat unanswered this long is hung, ms. Default 2000. */
  hangMs?: number;
  /** Deadline of host → plugin calls that name none (extension API calls), ms. Default 10000. */
  callTimeoutMs?: number;
  /** Deadline of a plugin's load (its module and top-level code), ms. Default 10000. */
  loadTimeoutMs?: number;
  /** Per-plugin call limits. */
  limits?: Partial<CallLimits>;
  /** Retry of crashed plugins: first pause, longest pause, crashes before quarantine. */
  backoff?: { baseMs?: number; maxMs?: number; quarantineAfter?: number };
  /** Log lines kept per plugin. Default 1000. */
  logLimit?: number;
  /** The `deno` executable. Default: the one running the host. */
  denoPath?: string;
  /**
   * Receives one line each time a plugin becomes refused, crashed or quarantined, with the reason.
   * Default: the host's console (stderr).
   */
  notice?: (line: string) => void;
  /** Receives every line kept in a plugin's log as it is kept (`--dev` prints them). Default: none. */
  onLog?: (id: string, entry: PluginLogEntry) => void;
}

type Settings = Required<Omit<SupervisorOptions, "limits" | "backoff" | "onLog">> & {
  onLog?: SupervisorOptions["onLog"];
  limits: CallLimits;
  backoff: { baseMs: number; maxMs: number; quarantineAfter: number };
};

/** How a worker's own notifications to the host start (`$/log`, `$/resync`, `$/part`). */
const INTERNAL_PREFIX = '{"jsonrpc":"2.0","method":"$/';
const LEVELS = new Set(["log", "info", "warn", "error", "debug"]);
const MAX_LOG_TEXT = 8192;
/** Largest settings schema file read, bytes. */
const MAX_SETTINGS_SCHEMA = 256 * 1024;
/** Shortest pause between two context snapshots sent to one worker; resyncs asked meanwhile coalesce. */
const RESYNC_INTERVAL_MS = 1000;

/** A sandbox process and the plugins in it. */
interface Host {
  sandbox: SandboxProcess;
  /** Sends awaited event deliveries to several of its workers in one go. */
  sequencer: SandboxSequencer;
  plugins: Set<string>;
  /** Resident memory its workers last reported, bytes. */
  rss: number;
  /** Whether other plugins may join it. */
  shared: boolean;
  /** Set once the supervisor ends it on purpose: its exit is no crash. */
  closing: boolean;
}

/** One plugin's record. */
interface Plugin {
  found: DiscoveredPlugin;
  state: PluginInfo["state"];
  reason: string | null;
  crashes: number;
  lastCrash: PluginInfo["lastCrash"];
  /** Runs in a process of its own: asked for by the manifest, or on probation after a crash. */
  isolated: boolean;
  retry: ReturnType<typeof setTimeout> | undefined;
  logs: PluginLogEntry[];
  caller: Caller;
  /** How many times it was started: names its snapshot folders. */
  starts: number;
  /** The private copy of its folder it runs from, while it has one. */
  snapshot: { dir: string; files: string[] } | null;
  /** The SillyTavern module paths its code imports (see `shims/`). */
  stImports: string[];
  /** Set while the plugin has a worker. */
  host: Host | null;
  peer: PluginPeer | null;
  limiter: CallLimiter | null;
  /** When the unanswered heartbeat was sent, or `null`. */
  pingSince: number | null;
  /** Heap and ArrayBuffer memory in use at the last heartbeat, bytes. */
  heap: number;
  /** Withdraws `read` grants of files swapped while the plugin has a worker. */
  guard: GrantGuard | null;
  /** The snapshot a `$/resync` asked for, while it waits its turn (it holds an in-flight slot). */
  resync: ReturnType<typeof setTimeout> | undefined;
  /** When the last snapshot was sent for a `$/resync`. */
  resyncedAt: number;
  /** Its worker's acknowledgements of the chat parts sent to it. */
  acks: PartAcks;
}

/** Runs and supervises the plugins of one host. Build it with {@link startPlugins}. */
export class PluginSupervisor implements PluginAdmin {
  #o: Settings;
  #plugins = new Map<string, Plugin>();
  #hosts = new Set<Host>();
  #mirrored = new Set<Plugin>();
  /** Mirror ops not sent yet (each patch's ops as JSON text without the brackets); see {@link #queueMirror}. */
  #mirrorOps: string[] = [];
  #mirrorTimer: ReturnType<typeof setTimeout> | undefined;
  #listeners = new Set<(id: string) => void>();
  #spawning = new Set<Promise<unknown>>();
  #grants!: GrantStore;
  #disabled = new Set<string>();
  #cleanup: (() => void)[] = [];
  /** Private (0700) working folder: sockets, plugin snapshots, the sandbox's Deno cache folder. */
  #workDir = "";
  #denoDir = "";
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastTick = 0;
  #stopping: Promise<void> | null = null;
  #methodNames: string[];

  constructor(options: SupervisorOptions) {
    this.#o = {
      heapMb: 512,
      rssMb: 2048,
      heartbeatMs: 250,
      hangMs: 2000,
      callTimeoutMs: 10_000,
      loadTimeoutMs: 10_000,
      logLimit: 1000,
      denoPath: Deno.execPath(),
      notice: (line) => console.error(line),
      ...options,
      limits: { ...defaultLimits, ...options.limits },
      backoff: { baseMs: 1000, maxMs: 60_000, quarantineAfter: 5, ...options.backoff },
    };
    this.#methodNames = options.methods.map((m) => m.name);
  }

  /** Discovers the plugins and starts every enabled one; resolves when each has loaded or failed. */
  async start(): Promise<void> {
    this.#o.dataDir = await Deno.realPath(this.#o.dataDir);
    await Deno.mkdir(`${this.#o.dataDir}/plugins`, { recursive: true });
    this.#workDir = await makeWorkDir();
    await Deno.mkdir(`${this.#workDir}/sockets`, { mode: 0o700 });
    await Deno.mkdir(`${this.#workDir}/plugins`, { mode: 0o700 });
    this.#denoDir = await makeSandboxDenoDir(this.#o.denoPath, `${this.#workDir}/deno`);
    this.#disabled = await this.#readDisabled();
    this.#grants = await GrantStore.open(this.#o.dataDir);
    for (const found of await discoverPlugins(this.#o.dataDir)) {
      await this.#seen(found);
      this.#plugins.set(found.id, this.#record(found));
    }
    this.#checkClaims();
    for (const p of this.#plugins.values()) if (p.state === "refused") this.#notice(p);
    const { lodge } = this.#o;
    const registry = lodge.extensions;
    this.#cleanup.push(
      lodge.context.onPatch((ops) => this.#queueMirror(ops)),
      registry.onChange(() => this.#multicast(PeerMethod.EXTENSIONS, registry.list())),
    );
    this.#lastTick = performance.now();
    this.#heartbeat = setInterval(() => this.#tick(), this.#o.heartbeatMs);
    await this.#launch([...this.#plugins.values()].filter((p) => p.state === "stopped"), false);
  }

  // ---- PluginAdmin ----

  /** Every plugin found, in load order. */
  list(): PluginInfo[] {
    return [...this.#plugins.values()].map((p) => this.#info(p));
  }

  /** Enables a plugin and starts it (clearing its crash count and quarantine). */
  async enable(id: string): Promise<PluginInfo> {
    const p = this.#get(id);
    if (this.#disabled.delete(id)) await this.#saveDisabled();
    if (p.state === "running" || p.state === "starting") return this.#info(p);
    clearTimeout(p.retry);
    p.crashes = 0;
    await this.#refresh(p);
    if (p.state === "stopped") await this.#launch([p], true);
    return this.#info(p);
  }

  /** Stops a plugin and keeps it disabled across restarts. */
  async disable(id: string): Promise<PluginInfo> {
    const p = this.#get(id);
    if (!this.#disabled.has(id)) {
      this.#disabled.add(id);
      await this.#saveDisabled();
    }
    clearTimeout(p.retry);
    if (p.host) this.#stopWorker(p);
    this.#setState(p, "disabled", null);
    return this.#info(p);
  }

  /** Reads a plugin's folder again (a new folder becomes a new plugin) and restarts it. */
  async reload(id: string): Promise<PluginInfo> {
    await this.#reopenGrants();
    let p = this.#plugins.get(id);
    if (!p) {
      const exists = isPluginId(id) &&
        await Deno.lstat(`${this.#o.dataDir}/plugins/${id}`).then(() => true, () => false);
      if (!exists) throw notFound(`no plugin ${id}`);
      this.#plugins.set(id, p = this.#record(await inspectPlugin(this.#o.dataDir, id)));
    }
    clearTimeout(p.retry);
    if (p.host) this.#stopWorker(p);
    p.crashes = 0;
    await this.#refresh(p);
    if (p.state === "stopped") await this.#launch([p], true);
    return this.#info(p);
  }

  /** A plugin's kept log lines, oldest first: the last `limit` (default 200). */
  logs(id: string, options?: { limit?: number }): PluginLogEntry[] {
    return this.#get(id).logs.slice(-(options?.limit ?? 200));
  }

  /**
   * Installs a plugin from a folder or archive in state `pending` and rescans; an installed plugin of
   * that id (with `replace`) is stopped and waits for `plugins.accept` again.
   */
  async install(request: InstallRequest): Promise<InstallResult> {
    if (this.#stopping) throw new LodgeError("unavailable", "the plugin runtime is shutting down");
    let result: InstallResult;
    try {
      result = await installPlugin(this.#o.dataDir, request);
    } catch (error) {
      if (error instanceof InstallError) throw new LodgeError("invalid", error.message);
      throw error;
    }
    await this.rescan();
    if (result.replaced && this.#plugins.has(result.id)) await this.reload(result.id);
    return result;
  }

  /** Records what a plugin asks for as accepted and starts it. */
  async accept(id: string): Promise<PluginInfo> {
    await this.#reopenGrants();
    const p = this.#get(id);
    const found = await inspectPlugin(this.#o.dataDir, id);
    if (found.refused) throw new LodgeError("invalid", `plugin ${id} cannot run: ${found.refused}`);
    await this.#grants.record(id, found.grants);
    this.#log(p, "info", `grants accepted: ${describeGrants(found.grants)}`);
    if (p.state === "pending") {
      await this.#refresh(p);
      if ((p.state as PluginInfo["state"]) === "stopped") await this.#launch([p], true);
    }
    return this.#info(p);
  }

  /** The owner of a state namespace: by id (the longest matching), else by the first claim. */
  stateOwner(namespace: string): NamespaceOwner | null {
    const ns = normalizeName(namespace);
    let owner: Plugin | null = null;
    for (const p of this.#plugins.values()) {
      const id = normalizeName(p.found.id);
      if ((ns === id || ns.startsWith(`${id}.`)) && (!owner || id.length > owner.found.id.length)) owner = p;
    }
    owner ??= [...this.#plugins.values()].find((p) => claims(p, "state").includes(ns)) ?? null;
    if (!owner) return null;
    return { pluginId: owner.found.id, shared: claims(owner, "stateShared").includes(ns) };
  }

  /** Whether a running plugin's manifest asks for `orderConfig` and the user accepted it. */
  mayOrder(pluginId: string): boolean {
    const p = this.#plugins.get(pluginId);
    return p?.state === "running" && p.found.grants.orderConfig &&
      this.#grants.get(pluginId)?.orderConfig === true;
  }

  /** Adds a host line to a plugin's log; unknown ids are ignored (the plugin may be gone). */
  note(id: string, level: PluginLogEntry["level"], text: string): void {
    const p = this.#plugins.get(id);
    if (p) this.#log(p, level, `[host] ${text}`);
  }

  /**
   * Reads `<data>/plugins/` again without a restart: a folder seen for the first time (a renamed one
   * too) becomes a plugin and starts, a plugin whose folder is gone is stopped and forgotten, and a
   * refused one is checked again (and starts when it now can). Running, crashed, quarantined and
   * disabled plugins are left as they are: `reload` restarts one from its folder.
   */
  async rescan(): Promise<RescanResult> {
    if (this.#stopping) throw new LodgeError("unavailable", "the plugin runtime is shutting down");
    await this.#reopenGrants();
    const found = await discoverPlugins(this.#o.dataDir);
    const present = new Set(found.map((f) => f.id));
    const removed: string[] = [];
    for (const [id, p] of this.#plugins) {
      if (present.has(id)) continue;
      clearTimeout(p.retry);
      if (p.host) this.#stopWorker(p);
      this.#plugins.delete(id);
      removed.push(id);
      this.#changed(id);
    }
    const added: Plugin[] = [];
    const retried: Plugin[] = [];
    for (const f of found) {
      const known = this.#plugins.get(f.id);
      if (!known) {
        const p = this.#record(f);
        this.#plugins.set(f.id, p);
        added.push(p);
        if (p.state === "refused") this.#notice(p);
        this.#changed(f.id);
      } else if (known.state === "refused") {
        known.found = f;
        this.#settle(known);
        retried.push(known);
      }
    }
    // the list stays in load order
    this.#plugins = new Map(found.map((f) => [f.id, this.#plugins.get(f.id)!]));
    await this.#launch([...added, ...retried].filter((p) => p.state === "stopped"), true);
    return { added: added.map((p) => p.found.id), removed, plugins: this.list() };
  }

  // ---- for the host and tests ----

  /** Calls `fn` with a plugin id whenever that plugin's state changes or it logs. */
  onChange(fn: (id: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The sandbox processes alive now, with how many envelopes of each kind the host sent each. */
  processes(): { pid: number; plugins: string[]; sent: Record<string, number> }[] {
    return [...this.#hosts].filter((h) => !h.closing).map((h) => ({
      pid: h.sandbox.pid,
      plugins: [...h.plugins],
      sent: { ...h.sandbox.sent },
    }));
  }

  /** Ends every sandbox process and waits for them to exit. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#heartbeat);
      clearTimeout(this.#mirrorTimer);
      for (const fn of this.#cleanup.splice(0)) fn();
      for (const p of this.#plugins.values()) clearTimeout(p.retry);
      await Promise.allSettled(this.#spawning);
      const exits: Promise<ExitInfo>[] = [];
      for (const host of [...this.#hosts]) {
        for (const id of [...host.plugins]) {
          const p = this.#plugins.get(id)!;
          this.#release(p, "the host is shutting down");
          this.#setState(p, "stopped", "the host is shutting down");
        }
        this.#close(host);
        exits.push(host.sandbox.exited);
      }
      await Promise.all(exits);
      await Deno.remove(this.#workDir, { recursive: true }).catch(() => {});
    })();
    return this.#stopping;
  }

  // ---- starting ----

  /** Reads the grant store again: `plugin-install` may have marked a plugin since the host started. */
  async #reopenGrants(): Promise<void> {
    this.#grants = await GrantStore.open(this.#o.dataDir);
  }

  #record(found: DiscoveredPlugin): Plugin {
    const pending = this.#pending(found);
    return {
      found,
      state: found.refused
        ? "refused"
        : this.#disabled.has(found.id)
        ? "disabled"
        : pending
        ? "pending"
        : "stopped",
      reason: found.refused ?? pending,
      crashes: 0,
      lastCrash: null,
      isolated: found.manifest?.isolation === "process",
      retry: undefined,
      logs: [],
      caller: { kind: "plugin", pluginId: found.id },
      starts: 0,
      snapshot: null,
      stImports: [],
      host: null,
      peer: null,
      limiter: null,
      pingSince: null,
      heap: 0,
      guard: null,
      resync: undefined,
      resyncedAt: -Infinity,
      acks: new PartAcks(),
    };
  }

  /** A plugin seen for the first time (with a manifest that can run) has the grants it asks for accepted. */
  async #seen(found: DiscoveredPlugin): Promise<void> {
    if (!found.refused && this.#grants.get(found.id) === undefined) {
      await this.#grants.record(found.id, found.grants);
    }
  }

  /** Why a plugin waits for its grants to be accepted, or `null`. */
  #pending(found: DiscoveredPlugin): string | null {
    if (found.refused) return null;
    if (this.#grants.isUnconfirmed(found.id)) {
      return `installed: waits for plugins.accept (asks for ${describeGrants(found.grants)})`;
    }
    const accepted = this.#grants.get(found.id);
    if (!accepted || coversGrants(accepted, found.grants)) return null;
    return `asks for more than was accepted (${
      grantsBeyond(accepted, found.grants)
    }): plugins.accept to allow`;
  }

  /** Logs each `state` claim another plugin owns already (by id or an earlier claim): it is not granted. */
  #checkClaims(): void {
    for (const p of this.#plugins.values()) {
      for (const ns of claims(p, "state")) {
        const owner = this.stateOwner(ns);
        if (owner && owner.pluginId !== p.found.id) {
          this.#log(
            p,
            "warn",
            `state namespace ${ns} belongs to plugin ${owner.pluginId}: the claim is refused`,
          );
        }
      }
    }
  }

  /** Reads the folder again (symlinks planted since, a changed manifest) and sets `stopped` or `refused`. */
  async #refresh(p: Plugin): Promise<void> {
    const all = await discoverPlugins(this.#o.dataDir);
    p.found = all.find((f) => f.id === p.found.id) ?? await inspectPlugin(this.#o.dataDir, p.found.id);
    if (!p.crashes) p.isolated = p.found.manifest?.isolation === "process";
    this.#settle(p);
  }

  /** Sets the state its folder as last read gives a plugin that is not running: refused, disabled, pending or stopped. */
  #settle(p: Plugin): void {
    const pending = this.#pending(p.found);
    if (p.found.refused) this.#setState(p, "refused", p.found.refused);
    else if (this.#disabled.has(p.found.id)) this.#setState(p, "disabled", null);
    else if (pending) this.#setState(p, "pending", pending);
    else this.#setState(p, "stopped", null);
  }

  /**
   * Starts plugins: places them in processes (isolated ones alone; the rest together, in an existing
   * shared process that grants enough when `reuse`, else a new one), then loads them one by one in order.
   */
  async #launch(list: Plugin[], reuse: boolean): Promise<void> {
    if (this.#stopping || list.length === 0) return;
    for (const p of list) this.#setState(p, "starting", null);
    await Promise.all(list.map((p) => this.#prepare(p)));
    list = list.filter((p) => p.state === "starting");
    if (this.#stopping || list.length === 0) return;
    const groups: Plugin[][] = [];
    const shared = list.filter((p) => !p.isolated);
    const joinable = reuse
      ? [...this.#hosts].find((h) =>
        h.shared && !h.closing && shared.every((p) => covers(h.sandbox.grants, p))
      )
      : undefined;
    if (joinable) shared.forEach((p) => this.#attach(p, joinable));
    else if (shared.length > 0) groups.push(shared);
    for (const p of list) if (p.isolated) groups.push([p]);
    await Promise.all(groups.map(async (group) => {
      const host = await this.#spawn(group, !group[0].isolated).catch((error: Error) => {
        for (const p of group) this.#crashed(p, `sandbox process failed to start: ${error.message}`);
        return null;
      });
      if (host) group.forEach((p) => this.#attach(p, host));
    }));
    for (const p of list) if (p.state === "starting" && p.peer) await this.#load(p);
  }

  /** Checks the folder again (a symlink planted since refuses it) and takes the copy the plugin runs from. */
  async #prepare(p: Plugin): Promise<void> {
    try {
      const found = await inspectPlugin(this.#o.dataDir, p.found.id);
      if (found.refused) {
        this.#setState(p, "refused", found.refused);
        return;
      }
      p.found = found;
      await this.#seen(found);
      const pending = this.#pending(found);
      if (pending) {
        this.#setState(p, "pending", pending);
        return;
      }
      const copy = await snapshotFolder(
        found.dir,
        found.files,
        `${this.#workDir}/plugins/${found.id}.${++p.starts}`,
      );
      if ("refused" in copy) this.#setState(p, "refused", copy.refused);
      else {
        const shimmed = await shimSnapshot(copy.dir, copy.files);
        p.snapshot = { dir: copy.dir, files: shimmed.files };
        p.stImports = shimmed.imported;
        if (shimmed.refused) this.#setState(p, "refused", shimmed.refused);
      }
    } catch (error) {
      this.#setState(p, "refused", `could not read the plugin folder: ${(error as Error).message}`);
    }
  }

  async #spawn(plugins: Plugin[], shared: boolean): Promise<Host> {
    const grants: ProcessGrants = {
      // every snapshot (so plugins started later can join) and the data paths granted
      read: unique([`${this.#workDir}/plugins`, ...plugins.flatMap((p) => p.found.readRoots)]),
      net: unique(plugins.flatMap((p) => p.found.grants.net)),
      env: unique(plugins.flatMap((p) => p.found.grants.env)),
    };
    const host = { plugins: new Set<string>(), shared, closing: false, rss: 0 } as Host;
    host.sequencer = new SandboxSequencer((seq, items) => host.sandbox.sequence(seq, items));
    const starting = SandboxProcess.start({
      grants,
      heapMb: this.#o.heapMb,
      socketDir: `${this.#workDir}/sockets`,
      denoDir: this.#denoDir,
      denoPath: this.#o.denoPath,
      connectTimeoutMs: 10_000,
      onEnvelope: (envelope) => this.#onEnvelope(host, envelope),
      onOutput: (text) => this.#onOutput(host, text),
      beforeWrite: () => this.#flushMirror(),
    });
    this.#spawning.add(starting);
    try {
      host.sandbox = await starting;
    } finally {
      this.#spawning.delete(starting);
    }
    this.#hosts.add(host);
    host.sandbox.exited.then((info) => this.#onExit(host, info));
    if (this.#stopping) {
      this.#close(host);
      throw new Error("the host is shutting down");
    }
    return host;
  }

  #attach(p: Plugin, host: Host): void {
    host.plugins.add(p.found.id);
    p.host = host;
    const peer = p.peer = new PluginPeer(
      p.found.id,
      (frame) => host.sandbox.send(p.found.id, frame),
      this.#o.callTimeoutMs,
      () => p.guard?.check(),
    );
    peer.sequencer = host.sequencer;
    p.limiter = new CallLimiter(this.#o.limits, performance.now());
    p.pingSince = null;
    p.heap = 0;
    p.acks = new PartAcks();
    host.sandbox.spawnWorker(p.found.id, this.#permissions(p));
    if (p.found.readFiles.length > 0) {
      p.guard = new GrantGuard(p.found.readFiles, (lost) => {
        peer.notify(PeerMethod.REVOKE, { read: lost });
        this.#log(
          p,
          "warn",
          `read access withdrawn from ${lost.join(", ")}: the file was removed or replaced`,
        );
      });
    }
  }

  #permissions(p: Plugin): WorkerPermissions {
    const { readFiles, grants } = p.found;
    return {
      // the snapshot's files, not a folder: nothing added later is in reach
      read: [...p.snapshot!.files, ...readFiles],
      net: grants.net.length > 0 ? [...grants.net] : false,
      env: grants.env.length > 0 ? [...grants.env] : false,
      write: false,
      run: false,
      ffi: false,
      sys: false,
      import: false,
    };
  }

  async #load(p: Plugin): Promise<void> {
    const missing = (p.found.manifest?.requires ?? []).find((r) => this.#plugins.get(r)?.state !== "running");
    if (missing !== undefined) {
      this.#stopWorker(p);
      this.#setState(p, "stopped", `requires ${missing}, which is not running`);
      return;
    }
    const peer = p.peer!;
    const { manifest } = p.found;
    const { loadTimeoutMs } = this.#o;
    // The snapshot and the subscription start in the same turn: every later change reaches the worker
    // after the snapshot, on the same ordered channel. Ops still waiting are in the snapshot: they go
    // out to the others first.
    this.#flushMirror();
    this.#mirrored.add(p);
    const { head, transfer } = this.#withChat((parts) => ({
      url: fileUrl(`${p.snapshot!.dir}/${manifest!.js}`),
      eventTypes,
      methods: this.#methodNames,
      extensions: this.#o.lodge.extensions.list(),
      pluginId: p.found.id,
      sillyTavern: p.stImports.length > 0,
      interceptor: manifest!.generate_interceptor ?? null,
      ...parts?.("/mirror/chat"),
      mirror: this.#snapshotWithoutChat(),
    }));
    try {
      // a long chat's load deadline starts once its last part is out: the deadline is for the plugin's code
      const answer = peer.requestJson(PeerMethod.LOAD, head, { timeoutMs: transfer ? 0 : loadTimeoutMs });
      answer.catch(() => {}); // awaited below, after the parts
      if (transfer) {
        await this.#sendParts(transfer, [p]);
        await withDeadline(
          answer,
          loadTimeoutMs,
          () => new LodgeError("timeout", `plugin ${p.found.id} did not load in time`),
        );
      } else await answer;
    } catch (error) {
      if (p.peer !== peer) return; // stopped meanwhile
      if (error instanceof LodgeError && error.kind === "timeout") {
        this.#fault(p, `did not finish loading within ${loadTimeoutMs} ms`, true);
      } else this.#fault(p, `failed to load: ${(error as Error).message}`, false);
      return;
    }
    if (p.peer !== peer) return;
    this.#setState(p, "running", null);
    const waiting = [...this.#plugins.values()].filter((d) =>
      d.state === "stopped" && d.reason === `requires ${p.found.id}, which is not running`
    );
    if (waiting.length > 0) void this.#launch(waiting, true);
  }

  // ---- traffic ----

  #onEnvelope(host: Host, envelope: SandboxEnvelope): void {
    if (envelope[0] === "seq-stop") return host.sequencer.stopped(envelope[1], envelope[2]);
    if (envelope[0] === "seq-timeout") return host.sequencer.timedOut(envelope[1], envelope[2]);
    const p = this.#plugins.get(envelope[1]);
    if (!p || p.host !== host) return; // a worker already let go of
    switch (envelope[0]) {
      case "m":
        this.#onFrame(p, envelope[2]);
        break;
      case "a":
        host.sequencer.took(envelope[3], envelope[4], envelope[5]);
        this.#onFrame(p, envelope[2]);
        break;
      case "error":
        this.#fault(p, `worker failed: ${envelope[2]}`, false);
        break;
      case "drop":
        this.#log(p, "warn", `dropped a message that is not a frame (${envelope[2]})`);
        if (p.limiter!.strike(performance.now())) this.#fault(p, "flooded the host with bad messages", true);
        break;
    }
  }

  #onFrame(p: Plugin, frame: string): void {
    const peer = p.peer!;
    if (frame.startsWith(RESPONSE_PREFIX)) return peer.receive(frame);
    const now = performance.now();
    const internal = frame.startsWith(INTERNAL_PREFIX);
    const limiter = p.limiter!;
    // every frame pays its rate token and its bytes; a call also holds an in-flight slot until answered
    const refusal = limiter.admit(now, !internal, frame.length);
    if (refusal) {
      if (!internal) this.#refuse(p, frame, refusal);
      if (limiter.strike(now)) {
        this.#fault(
          p,
          `flooded the host (over ${this.#o.limits.strikes} refused calls within a second)`,
          true,
        );
      }
      return;
    }
    if (internal) return this.#internal(p, frame);
    const host = p.host!;
    this.#o.dispatcher.handle(frame, { caller: p.caller, peer }).then((response) => {
      limiter.done();
      if (response !== null && !peer.closed) host.sandbox.send(p.found.id, response);
    });
  }

  #refuse(p: Plugin, frame: string, refusal: Refusal): void {
    let id: unknown = null;
    try {
      const msg = JSON.parse(frame);
      if (typeof msg !== "object" || msg === null || !Object.hasOwn(msg, "id")) return; // notification
      id = msg.id;
    } catch { /* answered with id null, as for any unparsable frame */ }
    const { inFlight, perSecond, bytesPerSecond } = this.#o.limits;
    const [message, max] = refusal === "inflight"
      ? ["Too many calls in flight", inFlight]
      : refusal === "rate"
      ? ["Too many calls per second", perSecond]
      : ["Too many bytes per second", bytesPerSecond];
    const error = new RpcError(ErrorCode.LIMIT_EXCEEDED, message, { limit: refusal, max });
    p.host!.sandbox.send(p.found.id, JSON.stringify({ jsonrpc: "2.0", error: error.toJSON(), id }));
  }

  #internal(p: Plugin, frame: string): void {
    let msg: { method?: unknown; params?: { level?: unknown; text?: unknown } };
    try {
      msg = JSON.parse(frame);
    } catch {
      return;
    }
    if (msg.method === "$/log") {
      const { level, text } = msg.params ?? {};
      if (typeof level === "string" && LEVELS.has(level) && typeof text === "string") {
        this.#log(p, level as PluginLogEntry["level"], text);
      }
    } else if (msg.method === "$/resync") {
      this.#resync(p);
    } else if (msg.method === "$/part") {
      p.acks.ack((msg.params as { id?: unknown } | undefined)?.id);
    }
  }

  /**
   * Sends a worker a fresh context snapshot, at most one per {@link RESYNC_INTERVAL_MS}: resyncs asked
   * while one waits are the same request (a snapshot of a large chat is costly to build). The waiting
   * snapshot holds an in-flight slot, so resyncs and calls share one budget.
   */
  #resync(p: Plugin): void {
    if (p.resync !== undefined) return;
    const now = performance.now();
    const peer = p.peer!;
    const host = p.host!;
    const send = () => {
      p.resyncedAt = performance.now();
      const { head, transfer } = this.#withChat((parts) => ({
        ...parts?.("/snapshot/chat"),
        snapshot: this.#snapshotWithoutChat(),
      }));
      host.sandbox.send(p.found.id, `{"jsonrpc":"2.0","method":"${PeerMethod.MIRROR}","params":${head}}`);
      if (transfer) void this.#sendParts(transfer, [p]);
    };
    const wait = p.resyncedAt + RESYNC_INTERVAL_MS - now;
    // at once when the last one is long past: ahead of whatever the worker sent after asking
    if (wait <= 0) return send();
    const limiter = p.limiter!;
    if (!limiter.hold()) {
      if (limiter.strike(now)) this.#fault(p, "flooded the host with resync requests", true);
      return;
    }
    p.resync = setTimeout(() => {
      p.resync = undefined;
      limiter.done();
      if (p.peer === peer) send();
    }, wait);
  }

  /**
   * Takes a context patch for the workers' mirrors. Patches coalesce into one `mirror` notification,
   * sent before the next envelope to any sandbox process (so a worker has every change made before an
   * event, an answer or a snapshot it receives) or at the end of the tick: a reply's few patches cost
   * each worker one message instead of one per patch. Serialized now: the ops' values may change later.
   * A whole new chat too long for one part goes at once as a head, its messages in parts after it (see
   * `chat-parts.ts`).
   */
  #queueMirror(ops: PatchOp[]): void {
    if (this.#mirrored.size === 0 || ops.length === 0) return;
    const whole = ops.findIndex((op) => op.path === "/chat" && Array.isArray(op.value));
    if (whole === -1) {
      this.#mirrorOps.push(JSON.stringify(ops).slice(1, -1));
      this.#mirrorTimer ??= setTimeout(() => this.#flushMirror(), 0);
      return;
    }
    // A whole new chat (opened, saved whole): its array is this moment's and its messages never change,
    // so it is serialized as it goes out, not now.
    const chat = prepareChat(ops[whole].value as unknown[]);
    const text = (json: string) =>
      ops.map((op, i) =>
        i === whole ? withChat(JSON.stringify({ ...op, value: [] }), json) : JSON.stringify(op)
      )
        .join(",");
    if (!(chat instanceof ChatTransfer)) {
      this.#mirrorOps.push(text(chat.json));
      this.#mirrorTimer ??= setTimeout(() => this.#flushMirror(), 0);
      return;
    }
    this.#flushMirror();
    const parts = JSON.stringify(chat.announce(`/ops/${whole}/value`));
    const plugins = [...this.#mirrored];
    const head = `{"jsonrpc":"2.0","method":"${PeerMethod.MIRROR}","params":{"parts":${parts},"ops":[${
      text("[]")
    }]}}`;
    for (const r of this.#recipients(plugins)) r.send(head);
    void this.#sendParts(chat, plugins);
  }

  /**
   * The JSON text of a head's params built by `build` with the open chat as its last member: inline when
   * the chat is short, else an empty array there, `parts` (from the `parts` function `build` is given,
   * for the chat's JSON pointer) and the transfer to send after the head.
   */
  #withChat(
    build: (parts: ((at: string) => { parts: unknown }) | null) => Record<string, unknown>,
  ): { head: string; transfer: ChatTransfer | null } {
    const chat = prepareChat(this.#o.lodge.context.chatAtThisMoment());
    if (!(chat instanceof ChatTransfer)) {
      return { head: withChat(JSON.stringify(build(null)), chat.json), transfer: null };
    }
    return { head: JSON.stringify(build((at) => ({ parts: chat.announce(at) }))), transfer: chat };
  }

  /** The context snapshot with an empty chat as its last member (the chat is added by {@link #withChat}). */
  #snapshotWithoutChat(): Record<string, unknown> {
    const { chat: _chat, ...rest } = this.#o.lodge.context.snapshot({ chat: false });
    return { ...rest, chat: [] };
  }

  /** The workers of `plugins` as part recipients, one per sandbox process; a worker gone since is left out. */
  #recipients(plugins: Plugin[]): PartRecipients[] {
    const byHost = new Map<Host, { p: Plugin; peer: PluginPeer }[]>();
    for (const p of plugins) {
      if (!p.host || !p.peer) continue;
      let list = byHost.get(p.host);
      if (!list) byHost.set(p.host, list = []);
      list.push({ p, peer: p.peer });
    }
    const live = (list: { p: Plugin; peer: PluginPeer }[], host: Host) =>
      host.closing ? [] : list.filter(({ p, peer }) => p.peer === peer && p.host === host).map(({ p }) => p);
    return [...byHost].map(([host, list]) => ({
      send: (frame) => {
        const ids = live(list, host).map((p) => p.found.id);
        if (ids.length === 0) return false;
        if (ids.length === 1) host.sandbox.send(ids[0], frame);
        else host.sandbox.multicast(ids, frame);
        return true;
      },
      drained: () => host.sandbox.drained(),
      acked: async (id, count) => {
        await Promise.all(live(list, host).map((p) => p.acks.until(id, count)));
      },
    }));
  }

  /** Sends a transfer's parts to plugins' workers, counting their acknowledgements meanwhile. */
  async #sendParts(transfer: ChatTransfer, plugins: Plugin[]): Promise<void> {
    const expecting = plugins.filter((p) => p.peer);
    for (const p of expecting) p.acks.expect(transfer.id);
    try {
      await transfer.send(this.#recipients(expecting));
    } finally {
      for (const p of expecting) p.acks.forget(transfer.id);
    }
  }

  /** Sends the mirror ops waiting, if any (see {@link #queueMirror}). */
  #flushMirror(): void {
    clearTimeout(this.#mirrorTimer);
    this.#mirrorTimer = undefined;
    if (this.#mirrorOps.length === 0) return;
    const ops = this.#mirrorOps.join(",");
    this.#mirrorOps = [];
    this.#multicastFrame(`{"jsonrpc":"2.0","method":"${PeerMethod.MIRROR}","params":{"ops":[${ops}]}}`);
  }

  /** Sends one notification to every loading or running worker, serialized once. */
  #multicast(method: string, params: unknown): void {
    if (this.#mirrored.size === 0) return;
    this.#multicastFrame(JSON.stringify({ jsonrpc: "2.0", method, params }));
  }

  /** Sends one frame to every loading or running worker, one envelope per process. */
  #multicastFrame(frame: string): void {
    const byHost = new Map<Host, string[]>();
    for (const p of this.#mirrored) {
      if (!p.host) continue;
      let ids = byHost.get(p.host);
      if (!ids) byHost.set(p.host, ids = []);
      ids.push(p.found.id);
    }
    for (const [host, ids] of byHost) host.sandbox.multicast(ids, frame);
  }

  #onOutput(host: Host, text: string): void {
    // Workers print through the console (captured per plugin); raw output can only be told apart when
    // the process holds one plugin.
    if (host.plugins.size === 1) {
      const p = this.#plugins.get([...host.plugins][0])!;
      for (const line of text.split("\n")) if (line.trim()) this.#log(p, "log", `[process output] ${line}`);
    }
  }

  // ---- containment ----

  #tick(): void {
    const now = performance.now();
    const { heartbeatMs, hangMs } = this.#o;
    // A late timer means the host itself was blocked: answers may sit unread, so nobody is hung yet.
    const stalled = now - this.#lastTick > heartbeatMs * 2;
    this.#lastTick = now;
    const hung = new Map<Host, Map<string, string>>();
    for (const p of this.#plugins.values()) {
      // A loading worker is watched by the load deadline: its bootstrap compiles the engines it runs
      // locally before it can answer, which on a busy machine outlasts a heartbeat.
      if (!p.peer || !p.host || p.state === "starting") continue;
      if (p.pingSince !== null) {
        if (stalled) p.pingSince = now;
        else if (now - p.pingSince > hangMs) {
          let culprits = hung.get(p.host);
          if (!culprits) hung.set(p.host, culprits = new Map());
          culprits.set(p.found.id, `stopped responding (no heartbeat for ${hangMs} ms)`);
        }
        continue;
      }
      p.pingSince = now;
      const peer = p.peer;
      const host = p.host;
      peer.request(PeerMethod.PING, null, { timeoutMs: 0 }).then((usage) => {
        if (p.peer !== peer) return;
        p.pingSince = null;
        const [heap, external, rss] = Array.isArray(usage) ? usage.map(Number) : [];
        p.heap = (heap || 0) + (external || 0);
        host.rss = rss || 0;
      }, () => {});
    }
    for (const [host, culprits] of hung) this.#kill(host, culprits);
    for (const host of this.#hosts) {
      host.sequencer.sweep(now);
      this.#checkMemory(host, host.rss);
      host.sandbox.rss().then((rss) => rss !== null && this.#checkMemory(host, rss));
    }
  }

  /** Past the resident memory cap, the plugin most likely at fault is stopped with its process. */
  #checkMemory(host: Host, rss: number): void {
    const cap = this.#o.rssMb * 1024 * 1024;
    if (host.closing || rss <= cap || host.plugins.size === 0) return;
    const cause = `used too much memory (sandbox process at ${
      Math.round(rss / 2 ** 20)
    } MiB, limit ${this.#o.rssMb} MiB)`;
    this.#kill(host, new Map(this.#suspects(host).map((p) => [p.found.id, cause])));
  }

  /** The plugin of a process most likely behind a memory problem: busy, else loading, else the largest. */
  #suspects(host: Host): Plugin[] {
    const now = performance.now();
    const records = [...host.plugins].map((id) => this.#plugins.get(id)!);
    // a worker that leaves a heartbeat unanswered is running something long: the allocation itself
    let found = records.filter((p) => p.pingSince !== null && now - p.pingSince > 30);
    if (found.length === 0) found = records.filter((p) => p.state === "starting");
    if (found.length === 0) found = [records.reduce((a, b) => (b.heap > a.heap ? b : a))];
    return found;
  }

  /** Stops a misbehaving plugin: its whole process when its worker may not stop alone. */
  #fault(p: Plugin, reason: string, killProcess: boolean): void {
    if (!p.host) return;
    if (killProcess) return this.#kill(p.host, new Map([[p.found.id, reason]]));
    this.#stopWorker(p);
    this.#crashed(p, reason);
  }

  /** A process ended without being asked to: find the plugin at fault. */
  #onExit(host: Host, info: ExitInfo): void {
    if (host.closing) return;
    if (host.plugins.size === 0) return this.#kill(host, new Map());
    const cause = /out of memory/i.test(info.stderr)
      ? `ran out of memory (heap limit ${this.#o.heapMb} MB)`
      : `its sandbox process exited (${info.signal ?? `code ${info.code}`})`;
    this.#kill(host, new Map(this.#suspects(host).map((p) => [p.found.id, cause])));
  }

  /** Kills a process by PID; `culprits` crash, the other plugins restart at once in a fresh process. */
  #kill(host: Host, culprits: Map<string, string>): void {
    if (host.closing) return;
    const others: Plugin[] = [];
    for (const id of [...host.plugins]) {
      const p = this.#plugins.get(id)!;
      const reason = culprits.get(id);
      this.#release(p, reason ?? "its sandbox process was stopped because of another plugin");
      if (reason) this.#crashed(p, reason);
      else others.push(p);
    }
    this.#close(host);
    if (others.length > 0) void this.#launch(others, false);
  }

  #crashed(p: Plugin, reason: string): void {
    p.crashes++;
    p.lastCrash = { time: Date.now(), reason };
    p.isolated = true; // on probation: a second crash harms no one else
    this.#log(p, "error", `crashed: ${reason}`);
    const { baseMs, maxMs, quarantineAfter } = this.#o.backoff;
    if (p.crashes >= quarantineAfter) {
      this.#setState(p, "quarantined", `${p.crashes} crashes; last: ${reason}`);
      return;
    }
    this.#setState(p, "crashed", reason);
    const delay = Math.min(maxMs, baseMs * 2 ** (p.crashes - 1));
    p.retry = setTimeout(() => {
      if (p.state !== "crashed" || this.#stopping) return;
      this.#refresh(p).then(async () => {
        if (p.state === "stopped") await this.#launch([p], false);
      });
    }, delay);
  }

  /** Ends a plugin's worker while its process goes on (a process left empty ends too). */
  #stopWorker(p: Plugin): void {
    const host = p.host!;
    this.#release(p, "stopped");
    if (host.plugins.size === 0) this.#close(host);
    else host.sandbox.killWorker(p.found.id);
  }

  /** Forgets a plugin's worker: its calls fail, its listeners and extension APIs go, its snapshot too. */
  #release(p: Plugin, reason: string): void {
    p.host?.plugins.delete(p.found.id);
    if (p.snapshot) Deno.remove(p.snapshot.dir, { recursive: true }).catch(() => {});
    p.snapshot = null;
    p.guard?.close();
    p.guard = null;
    clearTimeout(p.resync);
    p.resync = undefined;
    p.acks.close();
    this.#mirrored.delete(p);
    p.peer?.close(reason);
    this.#o.lodge.events.removePlugin(p.found.id);
    p.host = null;
    p.peer = null;
    p.limiter = null;
    p.pingSince = null;
  }

  #close(host: Host): void {
    host.closing = true;
    host.sandbox.kill();
    this.#hosts.delete(host);
  }

  // ---- bookkeeping ----

  #get(id: string): Plugin {
    const p = this.#plugins.get(id);
    if (!p) throw notFound(`no plugin ${id}`);
    return p;
  }

  #info(p: Plugin): PluginInfo {
    const { manifest, grants, id } = p.found;
    return {
      id,
      displayName: manifest?.display_name ?? id,
      state: p.state,
      reason: p.reason,
      grants: structuredClone(grants),
      accepted: structuredClone(this.#grants.get(id) ?? null),
      version: manifest?.version ?? null,
      crashes: p.crashes,
      lastCrash: p.lastCrash && { ...p.lastCrash },
      ui: manifest?.ui
        ? { panel: manifest.ui.panel ?? null, actions: (manifest.ui.actions ?? []).map((a) => ({ ...a })) }
        : null,
      hasSettings: Boolean(manifest?.settingsSchema),
    };
  }

  /** The plugin's settings schema (see {@link PluginAdmin.settingsSchema}). */
  async settingsSchema(id: string): Promise<Record<string, unknown> | null> {
    const { found } = this.#get(id);
    const path = found.manifest?.settingsSchema;
    if (!path) return null;
    let text: string;
    try {
      // resolved for real: a symlink planted after discovery must not lead out of the folder
      const root = await Deno.realPath(found.dir);
      const file = await Deno.realPath(`${root}/${path}`);
      if (!file.startsWith(`${root}/`)) throw new Error("outside the plugin folder");
      const info = await Deno.stat(file);
      if (!info.isFile || info.size > MAX_SETTINGS_SCHEMA) {
        throw new Error(`not a file of at most ${MAX_SETTINGS_SCHEMA} bytes`);
      }
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw invalid(`plugin ${id}: settingsSchema ${path} cannot be read (${(error as Error).message})`);
    }
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch {
      throw invalid(`plugin ${id}: settingsSchema ${path} is not valid JSON`);
    }
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
      throw invalid(`plugin ${id}: settingsSchema ${path} must hold a JSON object`);
    }
    return schema as Record<string, unknown>;
  }

  /** The folder of a running plugin's panel page, or null. */
  panelFolder(id: string): string | null {
    const p = this.#plugins.get(id);
    const panel = p?.state === "running" ? p.found.manifest?.ui?.panel : undefined;
    if (!panel) return null;
    const dir = panel.includes("/") ? panel.slice(0, panel.lastIndexOf("/")) : "";
    return `${this.#o.dataDir}/plugins/${id}${dir ? `/${dir}` : ""}`;
  }

  #setState(p: Plugin, state: PluginInfo["state"], reason: string | null): void {
    const same = p.state === state && p.reason === reason;
    p.state = state;
    p.reason = reason;
    if (!same) {
      this.#notice(p);
      void this.#o.lodge.events.emit(eventTypes.PLUGIN_STATE_CHANGED, p.found.id).catch(() => {});
    }
    this.#changed(p.found.id);
  }

  /** The host's one line for a plugin that became refused, crashed or quarantined. */
  #notice(p: Plugin): void {
    if (p.state !== "refused" && p.state !== "crashed" && p.state !== "quarantined") return;
    this.#o.notice(`plugin ${p.found.id} ${p.state}: ${p.reason}`);
  }

  #log(p: Plugin, level: PluginLogEntry["level"], text: string): void {
    const entry = {
      time: Date.now(),
      level,
      text: text.length > MAX_LOG_TEXT ? text.slice(0, MAX_LOG_TEXT) : text,
    };
    p.logs.push(entry);
    this.#o.onLog?.(p.found.id, entry);
    if (p.logs.length > this.#o.logLimit) p.logs.splice(0, p.logs.length - this.#o.logLimit);
    this.#changed(p.found.id);
  }

  #changed(id: string): void {
    for (const fn of this.#listeners) fn(id);
  }

  get #stateFile(): string {
    return `${this.#o.dataDir}/plugins.json`;
  }

  async #readDisabled(): Promise<Set<string>> {
    try {
      const saved = JSON.parse(await Deno.readTextFile(this.#stateFile));
      return new Set(
        Array.isArray(saved?.disabled) ? saved.disabled.filter((x: unknown) => typeof x === "string") : [],
      );
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return new Set();
      throw error;
    }
  }

  async #saveDisabled(): Promise<void> {
    await writeFileAtomic(this.#stateFile, JSON.stringify({ disabled: [...this.#disabled].sort() }, null, 2));
  }
}

/** Whether a process's grants include everything a plugin needs. */
function covers(grants: ProcessGrants, p: Plugin): boolean {
  const readable = (path: string) => grants.read.some((r) => path === r || path.startsWith(`${r}/`));
  return p.found.readRoots.every(readable) &&
    p.found.grants.net.every((n) => grants.net.includes(n)) &&
    p.found.grants.env.every((e) => grants.env.includes(e));
}

/** The normalised namespaces a plugin's manifest lists under `state` or `stateShared`. */
function claims(p: Plugin, field: "state" | "stateShared"): string[] {
  return (p.found.manifest?.[field] ?? []).map(normalizeName);
}

function describeGrants(grants: Grants): string {
  const parts = (["net", "read", "env"] as const).filter((k) => grants[k].length > 0)
    .map((k) => `${k}: ${grants[k].join(", ")}`);
  if (grants.orderConfig) parts.push("orderConfig");
  return parts.join("; ") || "none";
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function fileUrl(path: string): string {
  return `file://${path.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Starts the plugin runtime of a host: discovers `<dataDir>/plugins/*`, starts the enabled plugins and
 * resolves once each has loaded or failed. The caller sets `lodge.plugins` to the result and calls
 * `stop()` on shutdown.
 */
export async function startPlugins(options: SupervisorOptions): Promise<PluginSupervisor> {
  const supervisor = new PluginSupervisor(options);
  try {
    await supervisor.start();
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  return supervisor;
}
