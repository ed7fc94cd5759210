/**
 * Opens a Lodge data folder for a command-line tool the way the host opens it: its lock taken (so a
 * running host and the tool never share it) and its services on the folder's SQLite file; and the
 * command line the SillyTavern import and export tools share.
 * @module
 */

import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Lodge } from "../core/lodge.ts";
import { openSqliteStore } from "../core/sqlite-store.ts";
import { takeLock } from "../core/data-folder.ts";

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

/** The command line both SillyTavern tools take: `<folder> [--data] [--include-secrets] [--json]`. */
export interface FolderArgs {
  /** The SillyTavern folder, resolved. */
  folder: string;
  data: string;
  includeSecrets: boolean;
  json: boolean;
}

/**
 * Reads `<folder> [--data ./data] [--include-secrets] [--json] [--help]` from `args`; prints `help` and
 * exits (0 when asked for, 2 for a wrong command line) otherwise.
 *
 * @example
 * ```ts
 * const { folder, data, includeSecrets } = folderArgs(Deno.args, "Usage: ...");
 * ```
 */
export function folderArgs(args: string[], help: string): FolderArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: "string", default: "./data" },
      "include-secrets": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(help);
    Deno.exit(values.help ? 0 : 2);
  }
  return {
    folder: resolve(positionals[0]),
    data: values.data,
    includeSecrets: values["include-secrets"],
    json: values.json,
  };
}
