/**
 * What the host's plugin runtime offers to administrators (UI and token-holding tools). Declared in
 * `core/` so method handlers can reach it without knowing about workers; `plugins/` implements it.
 * @module
 */

/** One plugin as listed by `plugins.list`. */
export interface PluginInfo {
  id: string;
  displayName: string;
  state: "running" | "starting" | "disabled" | "crashed" | "refused" | "stopped";
  reason: string | null;
  grants: { net: string[]; read: string[]; env: string[] };
  version: string | null;
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
}
