/**
 * Unpacking a plugin archive (`.zip`, `.tar.gz` / `.tgz`) into a fresh folder, trusting nothing it says
 * about itself: every entry name is checked (no absolute path, no `..`, no backslash or NUL), every entry
 * must be a regular file or a folder (links, devices and FIFOs refuse the archive), and the bytes are
 * counted while they are inflated, so an archive whose headers understate its size (a zip bomb) stops at
 * the limit instead of filling the disk.
 * @module
 */

import { Inflate } from "fflate";
import tar from "tar-stream";
import { relativePathProblem } from "./manifest.ts";

/** Limits of one unpacking. */
export interface ArchiveLimits {
  /** Most bytes of the archive file itself. */
  archiveBytes: number;
  /** Most bytes all files together may expand to. */
  totalBytes: number;
  /** Most entries (files and folders). */
  entries: number;
}

/** The default limits: 32 MiB archive, 64 MiB unpacked, 10,000 entries. */
export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  archiveBytes: 32 * 1024 * 1024,
  totalBytes: 64 * 1024 * 1024,
  entries: 10_000,
});

/** Why an archive was refused. */
export class ArchiveError extends Error {
  override name = "ArchiveError";
}

/** The archive kinds the installer reads, by their first bytes. */
export type ArchiveKind = "zip" | "tar.gz";

/** The kind of an archive from its first bytes, or `null` when it is neither. */
export function archiveKind(head: Uint8Array): ArchiveKind | null {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "zip";
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  return null;
}

/**
 * The relative path an entry name stands for (`./` prefixes and a folder's trailing `/` dropped), or an
 * {@link ArchiveError} naming why it may not be written.
 */
function entryPath(name: string): string {
  let path = name;
  while (path.startsWith("./")) path = path.slice(2);
  if (path.endsWith("/")) path = path.slice(0, -1);
  const problem = relativePathProblem(path);
  if (problem) throw new ArchiveError(`archive entry ${JSON.stringify(name)}: ${problem}`);
  return path;
}

/** Writes checked entries under a root, counting entries and bytes against the limits. */
class Writer {
  #root: string;
  #limits: ArchiveLimits;
  #entries = 0;
  #bytes = 0;
  #seen = new Set<string>();
  files: string[] = [];

  constructor(root: string, limits: ArchiveLimits) {
    this.#root = root;
    this.#limits = limits;
  }

  /** Counts an entry and answers its checked path, or `null` for a folder (made when a file needs it). */
  entry(name: string, kind: "file" | "directory"): string | null {
    if (++this.#entries > this.#limits.entries) {
      throw new ArchiveError(`archive has more than ${this.#limits.entries} entries`);
    }
    const path = entryPath(name);
    if (kind === "directory") return null;
    if (this.#seen.has(path)) throw new ArchiveError(`archive holds ${path} twice`);
    this.#seen.add(path);
    return path;
  }

  /** Counts inflated bytes; past the limit the archive is refused. */
  count(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes > this.#limits.totalBytes) {
      throw new ArchiveError(`archive expands past ${this.#limits.totalBytes} bytes`);
    }
  }

  async write(path: string, chunks: Uint8Array[]): Promise<void> {
    const dest = `${this.#root}/${path}`;
    const slash = dest.lastIndexOf("/");
    await Deno.mkdir(dest.slice(0, slash), { recursive: true, mode: 0o700 });
    // createNew: a second name for one path (a file under a "folder" that is a file) fails, never overwrites
    const file = await Deno.open(dest, { write: true, createNew: true, mode: 0o600 });
    try {
      for (const chunk of chunks) {
        for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
      }
    } finally {
      file.close();
    }
    this.files.push(path);
  }
}

/**
 * Unpacks an archive file into `target` (created, must not exist). Resolves with the relative paths of
 * the files written; rejects with an {@link ArchiveError} for a refused archive (the caller removes
 * `target`).
 */
export async function unpackArchive(
  archive: string,
  target: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<string[]> {
  const info = await Deno.stat(archive);
  if (!info.isFile) throw new ArchiveError(`${archive} is not a file`);
  if (info.size > limits.archiveBytes) {
    throw new ArchiveError(`archive is larger than ${limits.archiveBytes} bytes`);
  }
  const bytes = await Deno.readFile(archive);
  await Deno.mkdir(target, { mode: 0o700 });
  const writer = new Writer(target, limits);
  const kind = archiveKind(bytes);
  if (kind === "zip") await unzip(bytes, writer);
  else if (kind === "tar.gz") await untar(bytes, writer);
  else throw new ArchiveError("not a .zip or .tar.gz archive");
  return writer.files;
}

// ---- zip ----

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Unix file-type bits in a central entry's external attributes (high 16 bits). */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** Inflated in slices this big, so the byte count stops a bomb within one slice of the limit. */
const SLICE = 64 * 1024;

async function unzip(bytes: Uint8Array, writer: Writer): Promise<void> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // the end record sits in the last 22 + 65,535 bytes (its comment may be that long)
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError("zip archive has no central directory");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw new ArchiveError("zip64 archives are not supported");
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) {
      throw new ArchiveError("zip central directory is damaged");
    }
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressed = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(at + 46, at + 46 + nameLength),
    );
    at += 46 + nameLength + extraLength + commentLength;
    // made on Unix (3): the mode is in the high bits; anything but a file or folder is refused
    const mode = madeBy === 3 ? external >>> 16 : 0;
    const type = mode & S_IFMT;
    const isDir = name.endsWith("/") || type === S_IFDIR || (madeBy !== 3 && (external & 0x10) !== 0);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
      throw new ArchiveError(`archive entry ${name} is a link or device, not a file`);
    }
    if (flags & 1) throw new ArchiveError(`archive entry ${name} is encrypted`);
    const path = writer.entry(name, isDir ? "directory" : "file");
    if (path === null) continue;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) {
      throw new ArchiveError(`archive entry ${name} points outside the archive`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + compressed > bytes.length) throw new ArchiveError(`archive entry ${name} is truncated`);
    const data = bytes.subarray(start, start + compressed);
    await writer.write(path, inflateCounted(data, method, name, writer));
  }
}

/** Inflates one entry slice by slice, counting every byte produced. */
function inflateCounted(data: Uint8Array, method: number, name: string, writer: Writer): Uint8Array[] {
  if (method === 0) {
    writer.count(data.length);
    return [data];
  }
  if (method !== 8) throw new ArchiveError(`archive entry ${name} uses compression method ${method}`);
  const chunks: Uint8Array[] = [];
  const inflate = new Inflate((chunk) => {
    writer.count(chunk.length);
    chunks.push(chunk);
  });
  try {
    for (let at = 0; at < data.length; at += SLICE) {
      inflate.push(data.subarray(at, at + SLICE), at + SLICE >= data.length);
    }
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`archive entry ${name} is damaged: ${(error as Error).message}`);
  }
  return chunks;
}

// ---- tar.gz ----

async function untar(bytes: Uint8Array, writer: Writer): Promise<void> {
  const extract = tar.extract();
  const failed = Promise.withResolvers<never>();
  const finished = new Promise<void>((resolve) => extract.on("finish", resolve));
  extract.on("error", (error: Error) => failed.reject(error));
  extract.on("entry", (header, stream, next) => {
    const chunks: Uint8Array[] = [];
    // the archive's failure reaches the entry's stream too: it is reported once, by the extractor
    stream.on("error", () => {});
    let path: string | null;
    try {
      if (header.type !== "file" && header.type !== "directory") {
        throw new ArchiveError(`archive entry ${header.name} is a ${header.type}, not a file`);
      }
      path = writer.entry(header.name, header.type);
    } catch (error) {
      extract.destroy(error as Error);
      return;
    }
    stream.on("data", (chunk: unknown) => chunks.push(chunk as Uint8Array));
    stream.on("end", () => {
      if (path === null) return next();
      writer.write(path, chunks).then(() => next(), (error) => extract.destroy(error));
    });
  });
  const gunzipped = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  const feed = (async () => {
    try {
      for await (const chunk of gunzipped) {
        writer.count(chunk.length); // the tar stream bounds every file, header and padding in it
        if (!extract.write(chunk)) {
          await new Promise<void>((resolve) => extract.once("drain", () => resolve()));
        }
      }
      extract.end(undefined);
    } catch (error) {
      extract.destroy(
        error instanceof ArchiveError ? error : new ArchiveError(`archive is damaged: ${error}`),
      );
    }
  })();
  await Promise.race([finished, failed.promise]);
  await feed;
}
