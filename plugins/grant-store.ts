/**
 * The grants the user accepted, per plugin, kept in `<data>/plugin-grants.json` (a name no plugin may be
 * granted to read, next to the token and the database, outside every plugin folder). A plugin whose
 * manifest asks for more than its record holds waits in state `pending` until `plugins.accept(id)`
 * records what it asks. A plugin the operator placed in `<data>/plugins/` has its grants accepted when
 * it is first seen; the installer marks a plugin unconfirmed instead (nothing accepted, and it waits
 * as `pending` even when it asks for nothing) until the user accepts:
 *
 * ```ts
 * const store = await GrantStore.open(dataDir);
 * await store.recordUnconfirmed("downloaded-plugin"); // waits as `pending` until plugins.accept
 * ```
 * @module
 */

import { writeFileAtomic } from "../core/atomic-file.ts";
import type { Grants } from "./manifest.ts";

/** The file name, relative to the data directory. */
export const GRANT_FILE = "plugin-grants.json";

/** A set that accepts nothing. */
export const NO_GRANTS: Readonly<Grants> = Object.freeze({ net: [], read: [], env: [], orderConfig: false });

/** Whether `accepted` holds every grant of `asked`. */
export function coversGrants(accepted: Grants, asked: Grants): boolean {
  return asked.net.every((n) => accepted.net.includes(n)) &&
    asked.read.every((r) => accepted.read.includes(r)) &&
    asked.env.every((e) => accepted.env.includes(e)) &&
    (!asked.orderConfig || accepted.orderConfig);
}

/** What `asked` holds beyond `accepted`, readable (`net: a, b; orderConfig`), or `""`. */
export function grantsBeyond(accepted: Grants, asked: Grants): string {
  const parts: string[] = [];
  for (const kind of ["net", "read", "env"] as const) {
    const extra = asked[kind].filter((g) => !accepted[kind].includes(g));
    if (extra.length > 0) parts.push(`${kind}: ${extra.join(", ")}`);
  }
  if (asked.orderConfig && !accepted.orderConfig) parts.push("orderConfig");
  return parts.join("; ");
}

/** What the file holds. */
interface Saved {
  accepted: Map<string, Grants>;
  unconfirmed: Set<string>;
}

/** Reads the file (empty when it does not exist yet). */
async function readSaved(path: string): Promise<Saved> {
  const accepted = new Map<string, Grants>();
  const unconfirmed = new Set<string>();
  try {
    const file = JSON.parse(await Deno.readTextFile(path));
    for (const id of Array.isArray(file?.unconfirmed) ? file.unconfirmed : []) {
      if (typeof id === "string") unconfirmed.add(id);
    }
    for (const [id, g] of Object.entries((file?.accepted ?? {}) as Record<string, Partial<Grants>>)) {
      const list = (v: unknown) =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
      accepted.set(id, {
        net: list(g?.net),
        read: list(g?.read),
        env: list(g?.env),
        orderConfig: g?.orderConfig === true,
      });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { accepted, unconfirmed };
}

/**
 * The accepted grants of every plugin seen. Each write reads the file again first and changes only its
 * own plugin's record, so the installer (another process) and a running host never undo each other.
 */
export class GrantStore {
  #path: string;
  #saved: Saved;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, saved: Saved) {
    this.#path = path;
    this.#saved = saved;
  }

  /** Reads the store of a data directory (empty when the file does not exist yet). */
  static async open(dataDir: string): Promise<GrantStore> {
    const path = `${dataDir}/${GRANT_FILE}`;
    return new GrantStore(path, await readSaved(path));
  }

  /** The grants accepted for a plugin, or `undefined` when it was never seen. */
  get(id: string): Grants | undefined {
    return this.#saved.accepted.get(id);
  }

  /** Whether a plugin was installed and the user has not accepted its grants yet. */
  isUnconfirmed(id: string): boolean {
    return this.#saved.unconfirmed.has(id);
  }

  /** Records the grants accepted for a plugin (it is confirmed) and saves the file (atomically, mode 0600). */
  record(id: string, grants: Grants): Promise<void> {
    return this.#update((saved) => {
      saved.accepted.set(id, structuredClone({ ...grants }));
      saved.unconfirmed.delete(id);
    });
  }

  /** Records that nothing is accepted for a plugin until the user confirms it (an installed plugin). */
  recordUnconfirmed(id: string): Promise<void> {
    return this.#update((saved) => {
      saved.accepted.set(id, structuredClone({ ...NO_GRANTS }));
      saved.unconfirmed.add(id);
    });
  }

  #update(change: (saved: Saved) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const saved = await readSaved(this.#path);
      change(saved);
      const accepted = Object.fromEntries([...saved.accepted].sort(([a], [b]) => a < b ? -1 : 1));
      const text = JSON.stringify({ accepted, unconfirmed: [...saved.unconfirmed].sort() }, null, 2);
      await writeFileAtomic(this.#path, text, { mode: 0o600 });
      this.#saved = saved;
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}
