/**
 * The data folder's own guards, shared by the host and the data tools: created with mode 0700 when
 * missing, and held by one process at a time through an exclusive SQLite lock on `<data>/lodge.lock`.
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";

/** Creates the data folder (mode 0700) when missing, with an error that names it when it cannot. */
export async function makeDataDir(dataDir: string): Promise<void> {
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // mkdir's own words for it ("file exists") read as if the folder were fine
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new Error(`the data folder ${dataDir} is a file, not a folder`);
    }
    throw new Error(`cannot create the data folder ${dataDir}: ${reason(error)}`);
  }
}

/** The OS's reason without Deno's "(os error N): op 'path'" tail. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\(os error \d+\).*$/s, "").toLowerCase();
}

/**
 * Holds an exclusive SQLite lock on `<data>/lodge.lock` for the life of the process; the OS drops it if
 * the process dies, so a crash never leaves a stale lock.
 */
export function takeLock(dataDir: string): DatabaseSync {
  const path = join(dataDir, "lodge.lock");
  try {
    // Opening for writing first tells "cannot write here" apart from "another host holds the lock".
    Deno.openSync(path, { read: true, write: true, create: true }).close();
  } catch (error) {
    throw new Error(`the data folder ${dataDir} cannot be written: ${reason(error)}`);
  }
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch {
    db.close();
    throw new Error(`another Lodge host is already using the data folder ${dataDir}`);
  }
  return db;
}
