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

import { effect, signal } from "@preact/signals";
import { eventTypes } from "../../../core/event-types.ts";
import type { PluginInfo } from "../../../core/plugin-admin.ts";
import { call, onHostEvent, whenConnected } from "./api.ts";

/** Running plugins that declare a `ui`. */
export const pluginUis = signal<PluginInfo[]>([]);

/**
 * Bumped when a plugin's state changed on the host (`PLUGIN_STATE_CHANGED`), on every (re)connection
 * (whatever changed while the socket was down) and after the page's own enable, disable or reload: the
 * plugins view and the panels read the list again.
 */
export const pluginsChanged = signal(0);
onHostEvent(eventTypes.PLUGIN_STATE_CHANGED, () => pluginsChanged.value++);
whenConnected(() => void pluginsChanged.value++);

/** Reads which running plugins declare a `ui`. */
async function refreshPluginUis(): Promise<void> {
  const plugins = await call("plugins.list") as PluginInfo[];
  const next = plugins.filter((p) => p.ui && p.state === "running");
  if (JSON.stringify(next) !== JSON.stringify(pluginUis.peek())) pluginUis.value = next;
}
effect(() => {
  if (pluginsChanged.value > 0) void refreshPluginUis().catch(() => {});
});

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
