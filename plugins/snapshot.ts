/**
 * A plugin runs from a private copy of its folder taken when it starts. Deno's read grants are checked on
 * the path, not on what a symlink points to, so a link planted in the live folder after the check (or a
 * file swapped for one) would read past the grant; the copy lives in a folder only the host can write,
 * and each file is copied from the very inode the check saw.
 * @module
 */

import { linkProblem } from "./discovery.ts";

/** The copy, or why it could not be made. */
export type Snapshot = { dir: string; files: string[] } | { refused: string };

/**
 * Copies `files` (absolute paths under `source`, each checked to be a regular file) into `target`.
 * A file that is no longer the regular file it was (swapped for a link, replaced) refuses the plugin.
 */
export async function snapshotFolder(source: string, files: string[], target: string): Promise<Snapshot> {
  await Deno.mkdir(target, { recursive: true, mode: 0o700 });
  const copied: string[] = [];
  for (const file of files) {
    const rel = file.slice(source.length + 1);
    const before = await Deno.lstat(file).catch(() => null);
    if (!before?.isFile) return { refused: `${rel} changed while the plugin was starting` };
    const dest = `${target}/${rel}`;
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    const handle = await Deno.open(file, { read: true });
    let opened: Deno.FileInfo;
    try {
      opened = await handle.stat();
    } catch (error) {
      handle.close();
      throw error;
    }
    // open() follows links: the same device and inode prove it opened the file that was checked
    if (opened.ino !== before.ino || opened.dev !== before.dev) {
      handle.close();
      return { refused: `${rel} was replaced while the plugin was starting` };
    }
    // a hard link made since the folder was checked: the copy would hold the other file's content
    const linked = linkProblem(opened, rel);
    if (linked) {
      handle.close();
      return { refused: linked };
    }
    await Deno.writeFile(dest, handle.readable, { mode: 0o600 }); // closes the handle
    copied.push(dest);
  }
  return { dir: target, files: copied };
}
