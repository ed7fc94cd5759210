/**
 * The grants the user accepted, per plugin, kept in `<data>/plugin-grants.json` (a name no plugin may be
 * granted to read, next to the token and the database, outside every plugin folder). A plugin whose
 * manifest asks for more than its record holds waits in state `pending` until `plugins.accept(id)`
 * records what it asks. A plugin the operator placed in `<data>/plugins/` has its grants accepted when
 * it is first seen; an installer that wants the user to confirm records an empty set first:
 *
 * ```ts
 * const store = await GrantStore.open(dataDir);
 * await store.record("downloaded-plugin", NO_GRANTS); // waits as `pending` until accepted
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

/** The accepted grants of every plugin seen. */
export class GrantStore {
  #path: string;
  #accepted: Map<string, Grants>;

  private constructor(path: string, accepted: Map<string, Grants>) {
    this.#path = path;
    this.#accepted = accepted;
  }

  /** Reads the store of a data directory (empty when the file does not exist yet). */
  static async open(dataDir: string): Promise<GrantStore> {
    const path = `${dataDir}/${GRANT_FILE}`;
    const accepted = new Map<string, Grants>();
    try {
      const saved = JSON.parse(await Deno.readTextFile(path))?.accepted ?? {};
      for (const [id, g] of Object.entries(saved as Record<string, Partial<Grants>>)) {
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
    return new GrantStore(path, accepted);
  }

  /** The grants accepted for a plugin, or `undefined` when it was never seen. */
  get(id: string): Grants | undefined {
    return this.#accepted.get(id);
  }

  /** Records the grants accepted for a plugin and saves the file (atomically, mode 0600). */
  async record(id: string, grants: Grants): Promise<void> {
    this.#accepted.set(id, structuredClone({ ...grants }));
    const saved = Object.fromEntries([...this.#accepted].sort(([a], [b]) => a < b ? -1 : 1));
    await writeFileAtomic(this.#path, JSON.stringify({ accepted: saved }, null, 2), { mode: 0o600 });
  }
}
