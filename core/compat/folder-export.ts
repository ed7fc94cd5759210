/**
 * Writing a SillyTavern 1.12.6 user folder from Lodge's data: the files SillyTavern keeps, named and laid
 * out as it writes them, so SillyTavern opens the folder as its own. Chats are written a page at a time.
 * Secrets are written only when asked.
 * @module
 */

import { invalid } from "../errors.ts";
import type { ImageFolder } from "../images.ts";
import type { Lodge } from "../lodge.ts";
import { isSafeName } from "../names.ts";
import { cardPng } from "./card.ts";
import { type TextSink, writeChatFile } from "./chat-file.ts";
import { type ImportCounts, zeroCounts } from "./folder-import.ts";

/** Counts of what an export wrote: those of an import (`secrets` stays 0 unless they were asked for). */
export type ExportCounts = ImportCounts;

/** Options of {@link exportSillyTavernFolder}. */
export interface FolderExportOptions {
  /**
   * Also write `secrets.json` (each key's active API key, `{ key: value }` as SillyTavern 1.12.6 keeps
   * them, mode 0600); off unless asked.
   */
  includeSecrets?: boolean;
}

/** What `exportSillyTavern` answers. */
export interface ExportReport {
  /** The folder written. */
  path: string;
  counts: ExportCounts;
}

/**
 * Writes a SillyTavern user folder at `path`, which must not exist yet or be an empty folder (an export
 * never writes over files). Throws `invalid` otherwise. Secrets only with `options.includeSecrets`.
 *
 * @example
 * ```ts
 * const { counts } = await exportSillyTavernFolder(lodge, "/tmp/st-user");
 * // then copy /tmp/st-user to SillyTavern/data/default-user
 * ```
 */
export async function exportSillyTavernFolder(
  lodge: Lodge,
  path: string,
  options: FolderExportOptions = {},
): Promise<ExportReport> {
  const root = path.replace(/\/+$/, "");
  await prepare(root);
  const counts: ExportCounts = zeroCounts();
  const folder = async (name: string) => {
    await Deno.mkdir(`${root}/${name}`, { recursive: true });
    return `${root}/${name}`;
  };

  const characters = await folder("characters");
  const chats = await folder("chats");
  for (const card of lodge.characters.all()) {
    const image = await lodge.characters.image(card.avatar);
    await Deno.writeFile(`${characters}/${card.avatar}`, await cardPng(card, image));
    counts.characters++;
    const own = lodge.chats.list({ kind: "character", owner: card.avatar });
    if (own.length === 0) continue;
    const dir = `${chats}/${card.avatar.replace(/\.png$/i, "")}`;
    await Deno.mkdir(dir, { recursive: true });
    for (const chat of own) {
      await writeFile(`${dir}/${chat.key.file}.jsonl`, (sink) => writeChatFile(lodge.chats, chat, sink));
      counts.chats++;
    }
  }

  const groups = await folder("groups");
  for (const group of lodge.characters.groups()) {
    await Deno.writeTextFile(`${groups}/${group.id}.json`, JSON.stringify(group));
    counts.groups++;
  }
  const groupChats = await folder("group chats");
  for (const chat of lodge.chats.list({ kind: "group" })) {
    await writeFile(`${groupChats}/${chat.key.file}.jsonl`, (sink) => writeChatFile(lodge.chats, chat, sink));
    counts.groupChats++;
  }

  const worlds = await folder("worlds");
  for (const name of lodge.worldInfo.names()) {
    await Deno.writeTextFile(`${worlds}/${name}.json`, JSON.stringify(lodge.worldInfo.get(name), null, 4));
    counts.worlds++;
  }
  const presets = await folder("OpenAI Settings");
  for (const ref of lodge.presets.list("openai")) {
    const body = lodge.presets.getStored({ collection: "openai", name: ref.name });
    await Deno.writeTextFile(`${presets}/${ref.name}.json`, JSON.stringify(body, null, 4));
    counts.presets++;
  }

  const settings = lodge.settings.get();
  if (Object.keys(settings).length > 0) {
    await Deno.writeTextFile(`${root}/settings.json`, JSON.stringify(settings, null, 4));
    counts.settings = 1;
  }
  if (options.includeSecrets) {
    const values = await lodge.secrets.activeValues();
    counts.secrets = Object.keys(values).length;
    if (counts.secrets > 0) {
      await Deno.writeTextFile(`${root}/secrets.json`, JSON.stringify(values, null, 4), {
        mode: 0o600,
        createNew: true,
      });
    }
  }
  for (const name of ["User Avatars", "backgrounds"] as const satisfies readonly ImageFolder[]) {
    const dir = await folder(name);
    for (const file of await lodge.images.list(name)) {
      const bytes = await lodge.images.get(name, file);
      if (bytes === null || !isSafeName(file)) continue;
      await Deno.writeFile(`${dir}/${file}`, bytes);
      counts.images++;
    }
  }
  return { path: root, counts };
}

/** Makes `root` (or accepts it empty); refuses a file or a folder that has anything in it. */
async function prepare(root: string): Promise<void> {
  const info = await Deno.stat(root).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
  if (info === null) {
    await Deno.mkdir(root, { recursive: true });
    return;
  }
  if (!info.isDirectory) throw invalid(`${root} is not a folder`);
  for await (const _ of Deno.readDir(root)) {
    throw invalid(`${root} is not empty (an export never writes over files)`);
  }
}

/** Streams text into a new file through a {@link TextSink}. */
async function writeFile(path: string, fill: (sink: TextSink) => Promise<void>): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  const encoder = new TextEncoder();
  try {
    await fill({
      async write(text) {
        let bytes = encoder.encode(text);
        while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
      },
    });
  } finally {
    file.close();
  }
}
