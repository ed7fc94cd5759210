/**
 * `registerManagedRegexProvider(owner, { reloadOnChange })` inside a worker: the handle keeps the
 * provider's scripts here (so `getScripts()` answers synchronously) and sends the whole list to the host
 * after every change, in call order; the host runs them beside the user's scripts. After `unregister()`
 * every method is a no-op.
 * @module
 */

import type { RegexScript } from "../../core/regex/types.ts";
import type { Channel } from "./channel.ts";
import { callHost } from "./endpoint.ts";

/** The handle `registerManagedRegexProvider` returns. */
export interface RegexProviderHandle {
  /** Adds a script or replaces the one with the same `id`. */
  upsertScript(script: RegexScript): void;
  /** Removes the script with this id. */
  removeScript(id: string): void;
  /** Replaces every script. */
  setScripts(scripts: RegexScript[]): void;
  /** Removes every script. */
  clearScripts(): void;
  /** A copy of the provider's scripts. */
  getScripts(): RegexScript[];
  /** Sends the scripts to the host again; resolves once the host has them. */
  refresh(): Promise<void>;
  /** Removes the provider; the handle does nothing afterwards. */
  unregister(): void;
}

function checkScript(script: RegexScript): RegexScript {
  if (!script || typeof script.id !== "string" || !script.id || typeof script.scriptName !== "string") {
    throw new TypeError("a regex script needs a string `id` and `scriptName`");
  }
  return structuredClone(script);
}

/**
 * Builds the worker's `registerManagedRegexProvider`.
 *
 * @example
 * ```js
 * const handle = registerManagedRegexProvider("my-plugin", { reloadOnChange: true });
 * handle.upsertScript({ id: "r1", scriptName: "Shout", findRegex: "/!/g", replaceString: "!!", placement: [2] });
 * handle.unregister();
 * ```
 */
export function createRegexProviders(channel: Channel) {
  return function registerManagedRegexProvider(
    owner: string,
    options: { reloadOnChange?: boolean } = {},
  ): RegexProviderHandle {
    if (typeof owner !== "string" || !owner) throw new TypeError("a regex provider needs an owner name");
    const reloadOnChange = options?.reloadOnChange === true;
    let scripts: RegexScript[] = [];
    let live = true;
    let last: Promise<unknown> = Promise.resolve();
    const push = (): Promise<void> => {
      const copy = structuredClone(scripts);
      const sent = last.then(() =>
        callHost(channel, "regex.provider.set", [owner, copy, { reloadOnChange }])
      );
      last = sent.catch((error) => console.error(`regex provider ${owner}: ${error?.message ?? error}`));
      return sent.then(() => {});
    };
    const change = (fn: () => void) => {
      if (!live) return;
      fn();
      push().catch(() => {});
    };
    return {
      upsertScript: (script) =>
        change(() => {
          const next = checkScript(script);
          const at = scripts.findIndex((s) => s.id === next.id);
          if (at === -1) scripts.push(next);
          else scripts[at] = next;
        }),
      removeScript: (id) => change(() => scripts = scripts.filter((s) => s.id !== id)),
      setScripts: (list) => change(() => scripts = (Array.isArray(list) ? list : []).map(checkScript)),
      clearScripts: () => change(() => scripts = []),
      getScripts: () => live ? structuredClone(scripts) : [],
      refresh: () => live ? push() : Promise.resolve(),
      unregister: () => {
        if (!live) return;
        live = false;
        scripts = [];
        last = last.then(() => callHost(channel, "regex.provider.unregister", [owner])).catch(() => {});
      },
    };
  };
}
