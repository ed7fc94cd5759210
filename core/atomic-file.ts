/**
 * Replaces a small file whole, so a reader (or a crash) sees the old text or the new one, never a
 * half-written one. Writes to one path from this process are queued: two callers saving at once
 * cannot race on the rename, and the last call's text is what stays.
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
 * Writes `text` to a temporary sibling of `path`, then renames it over `path`.
 *
 * @example
 * ```ts
 * await writeFileAtomic("/data/secrets.json", "{}", { mode: 0o600 });
 * ```
 */
export function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): Promise<void> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(async () => {
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(temp, text, options.mode === undefined ? {} : { mode: options.mode });
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
