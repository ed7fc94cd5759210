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

/** One plugin as listed by `plugins.list`. */
export interface PluginInfo {
  id: string;
  displayName: string;
  state: PluginState;
  reason: string | null;
  grants: { net: string[]; read: string[]; env: string[] };
  version: string | null;
  /** Crashes since the host started or the plugin was last enabled or reloaded. */
  crashes: number;
  /** The latest crash (kept across enable and reload), or `null` when it never crashed. */
  lastCrash: { time: number; reason: string } | null;
  /** What the manifest's `ui` declares: a panel page (path in its folder) and action buttons. */
  ui: PluginUi | null;
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
  rescan(): Promise<RescanResult>;
  /** The absolute folder holding a running plugin's panel page (its files may be served), or null. */
  panelFolder(id: string): string | null;
}
