/**
 * Finding plugins: every folder `<data>/plugins/<id>/` with a valid manifest, no symlink anywhere inside
 * (Deno's read grants follow symlinks, so one would reach past the grant), an entry module that exists,
 * and read grants that hold no symlink either. The result is in load order: `requires` first (missing or
 * refused requirements and cycles refuse the plugin), then `optional` when present, then `loading_order`,
 * then id.
 * @module
 */

import {
  type Grants,
  grantsOf,
  isPluginId,
  isProtectedName,
  type Manifest,
  parseManifest,
} from "./manifest.ts";

/** A folder walk stops past this many entries: a plugin that big is refused, not scanned forever. */
const MAX_ENTRIES = 10_000;

/** One plugin folder as found on disk. */
export interface DiscoveredPlugin {
  /** Folder name. */
  id: string;
  /** Absolute folder path. */
  dir: string;
  /** The validated manifest; `null` when it is missing or invalid. */
  manifest: Manifest | null;
  /** What the manifest asks for (empty lists when refused). */
  grants: Grants;
  /** Absolute paths of every regular file of the folder, when it was checked. */
  files: string[];
  /** Absolute paths of the `read` grants, as declared. */
  readRoots: string[];
  /**
   * Absolute paths of the regular files under the `read` grants when they were checked: the worker may
   * read exactly these, so a link planted later under a granted folder is out of its reach.
   */
  readFiles: string[];
  /** Why the plugin cannot run, or `null`. */
  refused: string | null;
}

/** What a walk found: every regular file, or the first thing that refuses the folder. */
type Walk = { files: string[] } | { refused: string };

/**
 * Why a regular file may not be handed to a plugin, or `null`: a file with more than one hard link may be
 * another name of a file outside the folder (`ln <data>/token plugins/x/data.txt`), which no symlink
 * check sees.
 */
export function linkProblem(info: Deno.FileInfo, path: string): string | null {
  return info.nlink !== null && info.nlink > 1
    ? `${path} has ${info.nlink} hard links (it may be another name of a file elsewhere)`
    : null;
}

/**
 * Lists every regular file under `dir`; any symlink, a file with more than one hard link, or too many
 * entries refuses the folder.
 */
export async function walkFolder(dir: string, label = ""): Promise<Walk> {
  const files: string[] = [];
  const queue = [""];
  let seen = 0;
  while (queue.length > 0) {
    const rel = queue.shift()!;
    for await (const entry of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      if (++seen > MAX_ENTRIES) {
        return { refused: `${label || "folder"} has more than ${MAX_ENTRIES} entries` };
      }
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymlink) return { refused: `${label ? `${label}/` : ""}${path} is a symbolic link` };
      if (entry.isDirectory) queue.push(path);
      else if (entry.isFile) {
        const problem = linkProblem(await Deno.lstat(`${dir}/${path}`), `${label ? `${label}/` : ""}${path}`);
        if (problem) return { refused: problem };
        files.push(`${dir}/${path}`);
      } else return { refused: `${label ? `${label}/` : ""}${path} is not a file or folder` };
    }
  }
  return { files };
}

/**
 * Checks a `read` grant on disk (no symlink on the way to it or inside it, nothing protected inside) and
 * lists its regular files; a grant of something not there yet grants nothing.
 */
async function checkReadGrant(dataDir: string, rel: string): Promise<Walk> {
  const segments = rel.split("/");
  for (let i = 1; i <= segments.length; i++) {
    const partial = segments.slice(0, i).join("/");
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(`${dataDir}/${partial}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { files: [] };
      throw error;
    }
    if (info.isSymlink) return { refused: `read grant ${rel}: ${partial} is a symbolic link` };
    if (i < segments.length) continue;
    if (info.isFile) {
      const problem = linkProblem(info, `read grant ${rel}`);
      return problem ? { refused: problem } : { files: [`${dataDir}/${rel}`] };
    }
    if (!info.isDirectory) return { refused: `read grant ${rel} is not a file or folder` };
    const walk = await walkFolder(`${dataDir}/${rel}`, `read grant ${rel}`);
    if ("refused" in walk) return walk;
    const guarded = walk.files.find((file) =>
      file.slice(dataDir.length + 1).split("/").some(isProtectedName)
    );
    if (guarded) {
      return { refused: `read grant ${rel} holds a protected file: ${guarded.slice(dataDir.length + 1)}` };
    }
    return walk;
  }
  return { files: [] };
}

/** Reads and checks one plugin folder. */
export async function inspectPlugin(dataDir: string, id: string): Promise<DiscoveredPlugin> {
  const dir = `${dataDir}/plugins/${id}`;
  const result: DiscoveredPlugin = {
    id,
    dir,
    manifest: null,
    grants: { net: [], read: [], env: [], orderConfig: false },
    files: [],
    readRoots: [],
    readFiles: [],
    refused: null,
  };
  const refuse = (reason: string) => ({ ...result, refused: reason });
  if (!isPluginId(id)) return refuse("folder name is not a valid plugin id (letters, digits, . _ -)");
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch {
    return refuse("plugin folder not found");
  }
  if (info.isSymlink) return refuse("plugin folder is a symbolic link");
  if (!info.isDirectory) return refuse("not a folder");
  const walk = await walkFolder(dir);
  if ("refused" in walk) return refuse(walk.refused);
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/manifest.json`);
  } catch {
    return refuse("no manifest.json");
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) return refuse(parsed.reason);
  const manifest = parsed.manifest;
  if (!walk.files.includes(`${dir}/${manifest.js}`)) {
    return { ...refuse(`entry module ${manifest.js} not found`), manifest };
  }
  const grants = grantsOf(manifest);
  const readFiles: string[] = [];
  for (const rel of grants.read) {
    const granted = await checkReadGrant(dataDir, rel);
    if ("refused" in granted) return { ...refuse(granted.refused), manifest, grants };
    readFiles.push(...granted.files);
  }
  const readRoots = grants.read.map((rel) => `${dataDir}/${rel}`);
  return { ...result, manifest, grants, files: walk.files, readRoots, readFiles };
}

/** Finds every plugin folder, in load order; refused plugins follow, by id. */
export async function discoverPlugins(dataDir: string): Promise<DiscoveredPlugin[]> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dataDir}/plugins`)) {
      // dot-entries are Lodge's own files (and editors' litter), never plugins
      if (!entry.name.startsWith(".") && (entry.isDirectory || entry.isSymlink)) ids.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const found = await Promise.all(ids.sort().map((id) => inspectPlugin(dataDir, id)));
  return orderPlugins(found);
}

/** Orders plugins for loading and refuses those whose requirements cannot be met. */
export function orderPlugins(plugins: DiscoveredPlugin[]): DiscoveredPlugin[] {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const ok = new Map(plugins.filter((p) => !p.refused).map((p) => [p.id, p]));
  // a missing or refused requirement refuses its dependents, transitively
  for (let changed = true; changed;) {
    changed = false;
    for (const p of ok.values()) {
      const missing = (p.manifest!.requires ?? []).find((r) => !ok.has(r));
      if (missing === undefined) continue;
      const why = byId.get(missing)?.refused;
      p.refused = why
        ? `requires ${missing}, which is refused (${why})`
        : `requires ${missing}, which is not installed`;
      ok.delete(p.id);
      changed = true;
    }
  }
  const key = (p: DiscoveredPlugin) => p.manifest!.loading_order ?? 0;
  const byKey = (a: DiscoveredPlugin, b: DiscoveredPlugin) => key(a) - key(b) || (a.id < b.id ? -1 : 1);
  const required = (p: DiscoveredPlugin) => p.manifest!.requires ?? [];
  const optional = (p: DiscoveredPlugin) => (p.manifest!.optional ?? []).filter((o) => ok.has(o));
  const ordered: DiscoveredPlugin[] = [];
  const placed = new Set<string>();
  const pending = [...ok.values()].sort(byKey);
  while (pending.length > 0) {
    let i = pending.findIndex((p) => [...required(p), ...optional(p)].every((d) => placed.has(d)));
    // an optional dependency never blocks: break optional-only cycles at the first candidate
    if (i < 0) i = pending.findIndex((p) => required(p).every((d) => placed.has(d)));
    if (i < 0) break;
    const [next] = pending.splice(i, 1);
    ordered.push(next);
    placed.add(next.id);
  }
  for (const p of pending) {
    p.refused = `dependency cycle among ${pending.map((q) => q.id).join(", ")}`;
  }
  const refused = plugins.filter((p) => p.refused).sort((a, b) => (a.id < b.id ? -1 : 1));
  return [...ordered, ...refused];
}
