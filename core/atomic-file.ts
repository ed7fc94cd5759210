/**
 * Replaces a file whole, so a reader (or a crash) sees the old text or the new one, never a
 * half-written one. Writes to one path from this process are queued: two callers saving at once
 * cannot race on the rename, and the last call's data is what stays.
 *
 * ```ts
 * await writeFileAtomic(`${dataDir}/plugins.json`, JSON.stringify(state), { mode: 0o600 });
 * ```
 * @module
 */

const queues = new Map<string, Promise<void>>();

/** Options of {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file, set when its temporary copy is created (so it is never wider). */
  mode?: number;
}

/**
 * Writes `data` (text or bytes) to a temporary sibling of `path`, then renames it over `path`.
 *
 * @example
 * ```ts
 * await writeFileAtomic("/data/secrets.json", "{}", { mode: 0o600 });
 * ```
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(async () => {
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      const write = options.mode === undefined ? {} : { mode: options.mode };
      if (typeof data === "string") await Deno.writeTextFile(temp, data, write);
      else await Deno.writeFile(temp, data, write);
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  });
  queues.set(path, next);
  void next.finally(() => {
    if (queues.get(path) === next) queues.delete(path);
  }).catch(() => {});
  return next;
}
