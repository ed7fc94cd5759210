/**
 * The development watch loop (`deno task start --dev`): when a file in a plugin's folder changes, that
 * plugin alone is reloaded, once the folder has been quiet for a moment (an editor's save is several
 * file events; a build writes many files). Other plugins keep their workers.
 *
 * ```ts ignore
 * const watch = watchPlugins({ dataDir, reload: (id) => supervisor.reload(id) });
 * // ...
 * watch.close();
 * ```
 * @module
 */

import { isPluginId } from "./manifest.ts";

/** Options of {@link watchPlugins}. */
export interface WatchOptions {
  /** The data folder; `<dataDir>/plugins/<id>/` are watched. */
  dataDir: string;
  /** Reloads one plugin (the supervisor's `reload`). */
  reload: (id: string) => Promise<unknown>;
  /** Quiet time after the last change before the reload, ms. Default 150. */
  debounceMs?: number;
  /** Receives one line per reload (default: the console). */
  report?: (line: string) => void;
}

/** A running watch; `close()` ends it. */
export interface PluginWatch {
  close(): void;
}

/** The plugin id a changed path belongs to, or null (the plugins folder itself, a stray name). */
export function pluginOfPath(pluginsDir: string, path: string): string | null {
  const prefix = pluginsDir.endsWith("/") ? pluginsDir : `${pluginsDir}/`;
  if (!path.startsWith(prefix)) return null;
  const id = path.slice(prefix.length).split("/")[0];
  return isPluginId(id) ? id : null;
}

/** Watches `<dataDir>/plugins` and reloads the plugin whose folder changed. */
export function watchPlugins(options: WatchOptions): PluginWatch {
  // events name real paths: compare against the folder's real path
  const pluginsDir = Deno.realPathSync(`${options.dataDir}/plugins`);
  const debounceMs = options.debounceMs ?? 150;
  const report = options.report ?? ((line) => console.log(line));
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Reloads in progress: a change during one reloads again after it. */
  const running = new Map<string, Promise<void>>();
  const watcher = Deno.watchFs(pluginsDir, { recursive: true });
  let closed = false;

  const reload = (id: string) => {
    timers.delete(id);
    const previous = running.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (closed) return;
      const started = performance.now();
      try {
        await options.reload(id);
        report(`[${id}] reloaded after a change (${Math.round(performance.now() - started)} ms)`);
      } catch (error) {
        report(`[${id}] reload failed: ${error instanceof Error ? error.message : error}`);
      }
    });
    running.set(id, next);
    next.finally(() => running.get(id) === next && running.delete(id));
  };

  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        for (const path of event.paths) {
          const id = pluginOfPath(pluginsDir, path);
          if (!id) continue;
          clearTimeout(timers.get(id));
          timers.set(id, setTimeout(() => reload(id), debounceMs));
        }
      }
    } catch (error) {
      if (!closed) report(`plugin watch stopped: ${error instanceof Error ? error.message : error}`);
    }
  })();

  return {
    close() {
      if (closed) return;
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      watcher.close();
    },
  };
}
