/**
 * Opens a Lodge data folder for a command-line tool the way the host opens it: its lock taken (so a
 * running host and the tool never share it) and its services on the folder's SQLite file.
 * @module
 */

import { join, resolve } from "node:path";
import { Lodge } from "../core/lodge.ts";
import { openSqliteStore } from "../core/sqlite-store.ts";
import { takeLock } from "../main.ts";

/** An open data folder; `close()` closes the services and frees the lock. */
export interface OpenDataFolder {
  lodge: Lodge;
  close(): void;
}

/**
 * Opens the data folder at `path` (created when `create` is set), or throws an `Error` whose message
 * says why not (another host holds it, it cannot be written, it does not exist).
 *
 * @example
 * ```ts
 * const data = openDataFolder("./data", { create: true });
 * try {
 *   console.log(data.lodge.characters.all().length);
 * } finally {
 *   data.close();
 * }
 * ```
 */
export function openDataFolder(path: string, options: { create?: boolean } = {}): OpenDataFolder {
  const dataDir = resolve(path);
  if (options.create) Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  else if (!Deno.statSync(dataDir).isDirectory) throw new Error(`${dataDir} is not a folder`);
  const lock = takeLock(dataDir);
  const lodge = new Lodge(openSqliteStore(join(dataDir, "lodge.db")), { dataDir });
  return {
    lodge,
    close() {
      lodge.close();
      lock.close();
    },
  };
}
