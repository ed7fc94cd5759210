/**
 * What the host's plugin runtime offers to administrators (UI and token-holding tools). Declared in
 * `core/` so method handlers can reach it without knowing about workers; `plugins/` implements it.
 * @module
 */

/**
 * The states of a plugin. `crashed`: stopped by a fault and waiting for its retry; `quarantined`: crashed
 * too often, not retried until enabled again; `refused`: its folder or manifest cannot run (the reason
 * says why); `pending`: waits for its grants to be accepted.
 */
export const PLUGIN_STATES = [
  "running",
  "starting",
  "stopped",
  "pending",
  "disabled",
  "crashed",
  "quarantined",
  "refused",
] as const;

/** One plugin state. */
export type PluginState = typeof PLUGIN_STATES[number];

/** Grants of a plugin: hosts, data paths, environment variables, and whether it may set the listener order. */
export interface PluginGrants {
  net: string[];
  read: string[];
  env: string[];
  orderConfig: boolean;
}

/**
 * The grants of a plugin as sentences a user can judge (the plugins view and the installer show them).
 *
 * @example
 * ```ts
 * plainGrants({ net: ["api.example.com"], read: [], env: [], orderConfig: false });
 * // ["may connect to api.example.com"]
 * ```
 */
export function plainGrants(grants: PluginGrants): string[] {
  return [
    ...grants.net.map((host) => `may connect to ${host}`),
    ...grants.read.map((path) => `may read ${path} in the data folder`),
    ...grants.env.map((name) => `may read the environment variable ${name}`),
    ...(grants.orderConfig ? ["may set the order in which every plugin's event listeners run"] : []),
  ];
}

/** Who owns a chat- or character-state namespace (see {@link PluginAdmin.stateOwner}). */
export interface NamespaceOwner {
  pluginId: string;
  /** Whether the owner lets other plugins read it (`stateShared`). */
  shared: boolean;
}

/** One plugin as listed by `plugins.list`. */
export interface PluginInfo {
  id: string;
  displayName: string;
  state: PluginState;
  reason: string | null;
  /** What the manifest asks for. */
  grants: PluginGrants;
  /** What the user accepted (a `pending` plugin asks for more), or `null` before it was first seen. */
  accepted: PluginGrants | null;
  version: string | null;
  /** Crashes since the host started or the plugin was last enabled or reloaded. */
  crashes: number;
  /** The latest crash (kept across enable and reload), or `null` when it never crashed. */
  lastCrash: { time: number; reason: string } | null;
  /** What the manifest's `ui` declares: a panel page (path in its folder) and action buttons. */
  ui: PluginUi | null;
  /** Whether the manifest names a `settingsSchema` (read it with {@link PluginAdmin.settingsSchema}). */
  hasSettings: boolean;
}

/** A plugin's UI declarations (manifest `ui`). */
export interface PluginUi {
  /** The panel page, relative to the plugin's folder, or null. */
  panel: string | null;
  /** Buttons on a message's action bar (`message`) or the input bar (`input`). */
  actions: { id: string; label: string; where: "message" | "input" }[];
}

/** What `plugins.rescan` found. */
export interface RescanResult {
  /** Folders seen for the first time (a renamed folder is one of these), in load order. */
  added: string[];
  /** Plugins whose folder is gone (their worker is stopped). */
  removed: string[];
  /** Every plugin after the scan, as `plugins.list` gives them. */
  plugins: PluginInfo[];
}

/** What `plugins.install` installed. */
export interface InstallResult {
  id: string;
  displayName: string;
  version: string | null;
  /** The grants the manifest asks for. */
  grants: PluginGrants;
  /** The same, as sentences for the user to judge ({@link plainGrants}). */
  permissions: string[];
  /** Whether an installed plugin of that id was replaced. */
  replaced: boolean;
  /** Always `pending`: the plugin starts once `plugins.accept(id)` records its grants. */
  state: "pending";
}

/** What to install: a folder or a `.zip` / `.tar.gz` archive on the host's disk. */
export interface InstallRequest {
  path: string;
  /** The plugin id (its folder name); default: the folder's or the archive's name. */
  id?: string;
  /** Replace an installed plugin of the same id (default: refuse). */
  replace?: boolean;
}

/** One kept log line of a plugin. */
export interface PluginLogEntry {
  time: number;
  level: "log" | "info" | "warn" | "error" | "debug";
  text: string;
}

/** Administration of the plugin runtime. */
export interface PluginAdmin {
  list(): PluginInfo[];
  enable(id: string): Promise<PluginInfo>;
  disable(id: string): Promise<PluginInfo>;
  reload(id: string): Promise<PluginInfo>;
  logs(id: string, options?: { limit?: number }): PluginLogEntry[];
  /** Adds a line of the host's to a plugin's log (what it refused or dropped of the plugin's doing). */
  note(id: string, level: PluginLogEntry["level"], text: string): void;
  /** Records the grants a plugin asks for as accepted and starts it (it leaves `pending`). */
  accept(id: string): Promise<PluginInfo>;
  /**
   * The plugin owning a state namespace: the one whose id it equals or starts with (`<id>.`), else the
   * first (in load order) whose manifest claims it in `state`; `null` for an unowned namespace.
   */
  stateOwner(namespace: string): NamespaceOwner | null;
  /** Whether a plugin may set the global listener order (`permissions.orderConfig`, accepted). */
  mayOrder(pluginId: string): boolean;
  rescan(): Promise<RescanResult>;
  /** Installs a plugin in state `pending` (see `plugins/install.ts`) and rescans. */
  install(request: InstallRequest): Promise<InstallResult>;
  /** The absolute folder holding a running plugin's panel page (its files may be served), or null. */
  panelFolder(id: string): string | null;
  /**
   * The JSON Schema of a plugin's settings (the manifest's `settingsSchema` file, a JSON object read from
   * the plugin's folder), or null when the manifest names none. The settings themselves live in
   * `extension_settings[<id>]`.
   */
  settingsSchema(id: string): Promise<Record<string, unknown> | null>;
}
