/**
 * What plugins add to the page: panels and action buttons from their manifests' `ui`, and the bridge
 * that lets a panel or a button talk to its own plugin's worker and nothing else.
 *
 * The plugin side is its extension API registered under its own id:
 * ```js
 * const ctx = Luker.getContext();
 * ctx.registerExtensionApi("my-plugin", {
 *   onUiAction({ action, messageIndex }) { ... },  // a button of manifest ui.actions was pressed
 *   hello(name) { return `Hello, ${name}`; },       // the panel calls lodge.call("hello", "you")
 * });
 * ```
 * The UI calls it only when the API of that name belongs to that plugin.
 * @module
 */

import { signal } from "@preact/signals";
import type { PluginInfo } from "../../../core/plugin-admin.ts";
import { call, whenConnected } from "./api.ts";

/** Running plugins that declare a `ui`. */
export const pluginUis = signal<PluginInfo[]>([]);

/** Reads the plugin list again (on connect, and when the plugins view sees a change). */
export async function refreshPluginUis(list?: PluginInfo[]): Promise<void> {
  const plugins = list ?? await call("plugins.list") as PluginInfo[];
  const next = plugins.filter((p) => p.ui && p.state === "running");
  if (JSON.stringify(next) !== JSON.stringify(pluginUis.peek())) pluginUis.value = next;
}

whenConnected(() => void refreshPluginUis().catch(() => {}));

/** Calls a method of a plugin's own extension API (named by its id); refuses an API another plugin owns. */
export async function callPlugin(pluginId: string, method: string, args: unknown[]): Promise<unknown> {
  const apis = await call("extensions.list") as Record<string, { owner: string; methods: string[] }>;
  const api = Object.hasOwn(apis, pluginId) ? apis[pluginId] : undefined;
  if (!api || api.owner !== pluginId) {
    throw new Error(`plugin ${pluginId} has no UI handler (registerExtensionApi("${pluginId}", ...))`);
  }
  if (!api.methods.includes(method)) throw new Error(`plugin ${pluginId} has no method ${method}`);
  return await call("extensions.call", pluginId, method, args);
}

/** Presses a plugin's action button. */
export function runAction(pluginId: string, action: string, messageIndex?: number): Promise<unknown> {
  return callPlugin(pluginId, "onUiAction", [{ action, messageIndex }]);
}
