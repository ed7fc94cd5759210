/**
 * Installing a plugin from a local folder or a `.zip` / `.tar.gz` archive into `<data>/plugins/<id>/`.
 * The files land in a staging folder first (`<data>/plugins/.install-*`, which discovery skips), are
 * checked as discovery checks a plugin (manifest, entry module, no symlink or hard link, nothing but
 * files and folders), and only then take the plugin's place. The grant store records what the plugin
 * is allowed as nothing, so it waits as `pending` until the user has read what it asks for and called
 * `plugins.accept`.
 *
 * ```ts
 * const result = await installPlugin(dataDir, { path: "/downloads/dice.zip" });
 * result.permissions; // ["may connect to api.example.com"]
 * ```
 * @module
 */

import { basename, resolve } from "node:path";
import {
  type InstallRequest as AdminRequest,
  type InstallResult,
  plainGrants,
} from "../core/plugin-admin.ts";
import { ArchiveError, type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, unpackArchive } from "./archive.ts";
import { walkFolder } from "./discovery.ts";
import { GrantStore } from "./grant-store.ts";
import { grantsOf, isPluginId, parseManifest } from "./manifest.ts";
import { snapshotFolder } from "./snapshot.ts";

/**
 * What to install: `path` is a folder holding `manifest.json` (or one folder that does), or a `.zip` /
 * `.tar.gz` archive.
 */
export interface InstallRequest extends AdminRequest {
  /** Size limits of archives and folders. */
  limits?: Partial<ArchiveLimits>;
}

export type { InstallResult };

/** Why an install was refused (nothing was changed). */
export class InstallError extends Error {
  override name = "InstallError";
}

/**
 * Installs a plugin into `<dataDir>/plugins/<id>/` in state `pending`. A running host sees it after
 * `plugins.rescan` (the `plugins.install` method rescans itself).
 */
export async function installPlugin(dataDir: string, request: InstallRequest): Promise<InstallResult> {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...request.limits };
  const source = resolve(request.path);
  const info = await Deno.lstat(source).catch(() => null);
  if (!info) throw new InstallError(`${request.path} does not exist`);
  if (info.isSymlink) throw new InstallError(`${request.path} is a symbolic link`);
  const pluginsDir = `${dataDir}/plugins`;
  await Deno.mkdir(pluginsDir, { recursive: true });
  const staging = `${pluginsDir}/.install-${crypto.randomUUID()}`;
  try {
    let root: string;
    if (info.isDirectory) {
      root = await copyFolder(source, `${staging}/files`, limits);
    } else if (info.isFile) {
      await Deno.mkdir(staging, { mode: 0o700 });
      try {
        await unpackArchive(source, `${staging}/files`, limits);
      } catch (error) {
        if (error instanceof ArchiveError) throw new InstallError(error.message);
        throw error;
      }
      root = await manifestRoot(`${staging}/files`);
    } else throw new InstallError(`${request.path} is neither a folder nor an archive`);
    const walk = await walkFolder(root, "plugin");
    if ("refused" in walk) throw new InstallError(walk.refused);
    const text = await Deno.readTextFile(`${root}/manifest.json`).catch(() => null);
    if (text === null) throw new InstallError("no manifest.json in the plugin");
    const parsed = parseManifest(text);
    if (!parsed.ok) throw new InstallError(parsed.reason);
    const { manifest } = parsed;
    if (!walk.files.includes(`${root}/${manifest.js}`)) {
      throw new InstallError(`entry module ${manifest.js} not found`);
    }
    const id = request.id ?? defaultId(source, root, `${staging}/files`, info.isDirectory);
    if (!isPluginId(id)) {
      throw new InstallError(`${JSON.stringify(id)} is not a plugin id (letters, digits, . _ -): give one`);
    }
    const target = `${pluginsDir}/${id}`;
    const existing = await Deno.lstat(target).catch(() => null);
    if (existing && !request.replace) {
      throw new InstallError(`a plugin ${id} is installed already (replace it with --replace)`);
    }
    // the store first: should the move fail, a record of nothing keeps a later plugin of that id pending
    const store = await GrantStore.open(dataDir);
    await store.recordUnconfirmed(id);
    if (existing) await Deno.rename(target, `${staging}/old`);
    await Deno.rename(root, target);
    const grants = grantsOf(manifest);
    return {
      id,
      displayName: manifest.display_name ?? id,
      version: manifest.version ?? null,
      grants,
      permissions: plainGrants(grants),
      replaced: existing !== null,
      state: "pending",
    };
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** The plugins shipped with Lodge, one folder each. */
export const BUNDLED_DIR = decodeURIComponent(new URL("./bundled", import.meta.url).pathname);

/**
 * Installs the plugins shipped with Lodge (`plugins/bundled/<id>/`) into a data folder, each that is not
 * there yet, with its manifest's grants accepted: the user did not pick them, but they come with Lodge
 * and ask for nothing the host does not already do for them. Resolves with the ids installed.
 */
export async function installBundled(dataDir: string): Promise<string[]> {
  const installed: string[] = [];
  for await (const entry of Deno.readDir(BUNDLED_DIR)) {
    if (!entry.isDirectory) continue;
    if (await Deno.lstat(`${dataDir}/plugins/${entry.name}`).then(() => true, () => false)) continue;
    const result = await installPlugin(dataDir, { path: `${BUNDLED_DIR}/${entry.name}`, id: entry.name });
    await (await GrantStore.open(dataDir)).record(result.id, result.grants);
    installed.push(result.id);
  }
  return installed.sort();
}

/** Copies a plugin folder (checked as discovery checks one) within the size limits; answers the copy. */
async function copyFolder(source: string, target: string, limits: ArchiveLimits): Promise<string> {
  const walk = await walkFolder(source, basename(source));
  if ("refused" in walk) throw new InstallError(walk.refused);
  if (walk.files.length > limits.entries) {
    throw new InstallError(`folder has more than ${limits.entries} files`);
  }
  let total = 0;
  for (const file of walk.files) total += (await Deno.lstat(file)).size;
  if (total > limits.totalBytes) throw new InstallError(`folder holds more than ${limits.totalBytes} bytes`);
  const copy = await snapshotFolder(source, walk.files, target);
  if ("refused" in copy) throw new InstallError(copy.refused);
  return target;
}

/** The folder of an unpacked archive holding the manifest: its root, or its one top folder. */
async function manifestRoot(dir: string): Promise<string> {
  if (await Deno.lstat(`${dir}/manifest.json`).then(() => true, () => false)) return dir;
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  if (entries.length === 1 && entries[0].isDirectory) {
    const top = `${dir}/${entries[0].name}`;
    if (await Deno.lstat(`${top}/manifest.json`).then(() => true, () => false)) return top;
  }
  throw new InstallError("no manifest.json at the archive's root or in its one top folder");
}

/** The id a plugin gets when none is given: its folder's name, else the archive's name. */
function defaultId(source: string, root: string, unpacked: string, isFolder: boolean): string {
  if (isFolder) return basename(source);
  if (root !== unpacked) return basename(root);
  return basename(source).replace(/\.(zip|tar\.gz|tgz)$/i, "");
}
