/**
 * Keeps `read` grants on live data files honest. Deno checks a read against the path, not against what
 * a symbolic link there points to, so a granted file that is removed and replaced by a link (to the
 * token, say) would read past the grant. The guard notices such swaps and reports the paths, whose grant
 * the worker then withdraws:
 * - synchronously, from {@link GrantGuard.check}, which the host runs before each request it sends the
 *   worker (a folder's modification time moves when an entry is swapped, so only changed folders are
 *   looked at again), so a read the host triggers never races a swap;
 * - and in the background, from a file watcher, for reads the plugin starts on its own.
 * @module
 */

interface Identity {
  dev: number;
  ino: number;
}

/** Watches the files granted to one worker. */
export class GrantGuard {
  #files = new Map<string, Identity>();
  #folders = new Map<string, number>();
  #onLost: (paths: string[]) => void;
  #watcher: Deno.FsWatcher | null = null;

  /**
   * @param files absolute paths of the granted regular files
   * @param onLost receives paths that are no longer the file that was granted (called once per path)
   */
  constructor(files: string[], onLost: (paths: string[]) => void) {
    this.#onLost = onLost;
    const lost: string[] = [];
    for (const file of files) {
      const info = lstat(file);
      if (info?.isFile) this.#files.set(file, { dev: info.dev, ino: info.ino! });
      else lost.push(file);
      const folder = file.slice(0, file.lastIndexOf("/"));
      if (!this.#folders.has(folder)) this.#folders.set(folder, lstat(folder)?.mtime?.getTime() ?? -1);
    }
    if (lost.length > 0) onLost(lost);
    if (this.#files.size === 0) return;
    this.#watcher = Deno.watchFs([...this.#folders.keys()], { recursive: false });
    (async () => {
      for await (const event of this.#watcher!) {
        if (event.kind !== "modify" && event.kind !== "access") this.#recheck(event.paths);
      }
    })().catch(() => {}); // ends when closed
  }

  /** Looks again at the granted files of every folder that changed since the last look. */
  check(): void {
    for (const [folder, seen] of this.#folders) {
      const now = lstat(folder)?.mtime?.getTime() ?? -1;
      if (now === seen) continue;
      this.#folders.set(folder, now);
      this.#recheck([...this.#files.keys()].filter((file) => file.startsWith(`${folder}/`)));
    }
  }

  /** Stops watching. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  #recheck(paths: string[]): void {
    const lost = paths.filter((path) => {
      const granted = this.#files.get(path);
      if (!granted) return false;
      const info = lstat(path);
      if (info?.isFile && info.dev === granted.dev && info.ino === granted.ino) return false;
      this.#files.delete(path);
      return true;
    });
    if (lost.length > 0) this.#onLost(lost);
  }
}

function lstat(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}
