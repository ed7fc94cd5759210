/**
 * Image files kept beside the database, in the folders SillyTavern uses: a character's picture
 * (`<data>/characters/<avatar>`, the card's PNG without its card chunks: the card itself lives in the
 * database), user avatars (`<data>/User Avatars/`) and chat backgrounds (`<data>/backgrounds/`). Names
 * are checked as single path components, so no name reaches outside its folder. Without a data folder
 * (a host on `:memory:`) the images are kept in memory.
 * @module
 */

import { writeFileAtomic } from "./atomic-file.ts";
import { safeName } from "./names.ts";

/** The image folders, named as in a SillyTavern user folder. */
export const IMAGE_FOLDERS = Object.freeze(["characters", "User Avatars", "backgrounds"] as const);

/** One of {@link IMAGE_FOLDERS}. */
export type ImageFolder = typeof IMAGE_FOLDERS[number];

/** Image files by folder and name. */
export class ImageFiles {
  #dataDir: string | null;
  #memory = new Map<string, Uint8Array>();

  /** `dataDir` null keeps images in memory. */
  constructor(dataDir: string | null) {
    this.#dataDir = dataDir;
  }

  /**
   * Stores an image, replacing one of the same name.
   *
   * @example
   * ```ts
   * await lodge.images.put("backgrounds", "beach.jpg", bytes);
   * ```
   */
  async put(folder: ImageFolder, name: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(folder, name);
    if (this.#dataDir === null) {
      this.#memory.set(path, bytes.slice());
      return;
    }
    await Deno.mkdir(`${this.#dataDir}/${folder}`, { recursive: true });
    await writeFileAtomic(path, bytes);
  }

  /** The image's bytes, or null when there is none. */
  async get(folder: ImageFolder, name: string): Promise<Uint8Array | null> {
    const path = this.#path(folder, name);
    if (this.#dataDir === null) return this.#memory.get(path)?.slice() ?? null;
    try {
      return await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /** Removes an image; false when there was none. */
  async delete(folder: ImageFolder, name: string): Promise<boolean> {
    const path = this.#path(folder, name);
    if (this.#dataDir === null) return this.#memory.delete(path);
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /** The names of a folder's images (regular files only), sorted. */
  async list(folder: ImageFolder): Promise<string[]> {
    const prefix = this.#path(folder, "_").slice(0, -1);
    if (this.#dataDir === null) {
      return [...this.#memory.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))
        .sort();
    }
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(`${this.#dataDir}/${folder}`)) {
        if (entry.isFile && !entry.name.endsWith(".tmp")) names.push(entry.name);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return names.sort();
  }

  #path(folder: ImageFolder, name: string): string {
    if (!IMAGE_FOLDERS.includes(folder)) throw new TypeError(`unknown image folder ${folder}`);
    return `${this.#dataDir ?? ""}/${folder}/${safeName(name, "image name")}`;
  }
}
