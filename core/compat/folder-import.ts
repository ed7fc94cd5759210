/**
 * Importing a SillyTavern 1.12 user folder (`data/<user>/`) through the core services: books, cards
 * (with pictures and embedded books), chats, groups and their chats, chat-completion presets, the
 * settings, user avatars, backgrounds and, when asked, secrets. Each file is imported on its own: a bad
 * one is reported and skipped, the rest go on. A second run adds nothing (what is there is left as it
 * is). Chats are read a line at a time. Folders Lodge does not model are reported, not dropped silently.
 * @module
 */

import { invalid, LodgeError } from "../errors.ts";
import { eventTypes } from "../event-types.ts";
import type { ImageFolder } from "../images.ts";
import { deepEqual, isObject } from "../json.ts";
import type { Lodge } from "../lodge.ts";
import { isSafeName, safeName } from "../names.ts";
import { assertStorable } from "../schema/mod.ts";
import type { CharacterCard, ChatKey } from "../store.ts";
import { readCardFile } from "./card.ts";
import { importChatFile } from "./chat-file.ts";
import { importCharacter } from "./characters.ts";

/** Counts of what an import stored. */
export interface ImportCounts {
  characters: number;
  chats: number;
  groupChats: number;
  groups: number;
  worlds: number;
  presets: number;
  /** 1 when the settings changed. */
  settings: number;
  /** User avatars and backgrounds. */
  images: number;
  secrets: number;
}

/** A file or folder not imported, and why (its path relative to the imported folder). */
export interface SkippedPath {
  path: string;
  reason: string;
}

/** What `importSillyTavern` answers. */
export interface ImportReport {
  imported: ImportCounts;
  /** Things already there, left as they were (a second run counts everything here). */
  unchanged: number;
  skipped: SkippedPath[];
}

/** Options of {@link importSillyTavernFolder}. */
export interface FolderImportOptions {
  /** Import `secrets.json` too (API keys); off unless asked. */
  includeSecrets?: boolean;
}

/** One `import_progress` event's payload. */
export interface ImportProgress {
  /** The folder being read (`characters`, `chats`, ...). */
  phase: string;
  /** The file just handled, relative to the imported folder. */
  path: string;
  /** Files handled so far in this phase, and how many it has. */
  done: number;
  total: number;
}

/** Folders of a user folder Lodge does not model, with what they hold. */
const NOT_MODELED: Readonly<Record<string, string>> = Object.freeze({
  "instruct": "instruct templates",
  "context": "context templates",
  "sysprompt": "system prompt templates",
  "reasoning": "reasoning templates",
  "QuickReplies": "Quick Reply sets",
  "extensions": "installed extensions (install Lodge plugins instead)",
  "themes": "UI themes",
  "movingUI": "moving UI layouts",
  "KoboldAI Settings": "KoboldAI presets",
  "NovelAI Settings": "NovelAI presets",
  "TextGen Settings": "Text Completion presets",
  "thumbnails": "thumbnails (made again from the pictures)",
  "backups": "SillyTavern's backups",
  "assets": "downloaded assets",
  "vectors": "vector storage",
  "files": "attached files",
  "user": "user files and images",
  "stats.json": "usage statistics",
});

/** The phases, in the order they run (books before the cards that link them, cards before chats). */
const PHASES = [
  "worlds",
  "characters",
  "chats",
  "groups",
  "group chats",
  "OpenAI Settings",
  "settings.json",
  "secrets.json",
  "User Avatars",
  "backgrounds",
] as const;

/**
 * Imports the SillyTavern user folder at `root`. Throws `invalid` only when `root` is not a folder;
 * every other problem is a line in the report's `skipped`.
 *
 * @example
 * ```ts
 * const report = await importSillyTavernFolder(lodge, "/srv/SillyTavern/data/default-user");
 * console.log(report.imported.characters, report.skipped);
 * ```
 */
export async function importSillyTavernFolder(
  lodge: Lodge,
  root: string,
  options: FolderImportOptions = {},
): Promise<ImportReport> {
  const info = await Deno.stat(root).catch(() => null);
  if (!info?.isDirectory) throw invalid(`${root} is not a folder`);
  const run = new FolderImport(lodge, root.replace(/\/+$/, ""), options);
  await run.all();
  return run.report;
}

/** Counts of every kind at zero (the export counts the same kinds). */
export function zeroCounts(): ImportCounts {
  return {
    characters: 0,
    chats: 0,
    groupChats: 0,
    groups: 0,
    worlds: 0,
    presets: 0,
    settings: 0,
    images: 0,
    secrets: 0,
  };
}

class FolderImport {
  readonly report: ImportReport = {
    imported: zeroCounts(),
    unchanged: 0,
    skipped: [],
  };
  #lodge: Lodge;
  #root: string;
  #options: FolderImportOptions;
  /**
   * One read buffer for every chat file: a buffer per file is garbage the heap keeps until late, and
   * 32 KiB keeps each piece of decoded text below V8's large-object size, so it dies young.
   */
  #buffer = new Uint8Array(32 * 1024);
  /** Group chat ids to the group that lists them (for their metadata). */
  #groupOf = new Map<string, Record<string, unknown>>();

  constructor(lodge: Lodge, root: string, options: FolderImportOptions) {
    this.#lodge = lodge;
    this.#root = root;
    this.#options = options;
  }

  async all(): Promise<void> {
    const top = await this.#list("");
    const known = new Set<string>(PHASES);
    for (const entry of top) {
      if (known.has(entry.name)) continue;
      const what = NOT_MODELED[entry.name];
      this.#skip(
        entry.name,
        what ? `not imported: Lodge does not model ${what}` : "not imported: unknown to Lodge",
      );
    }
    const present = new Set(top.map((e) => e.name));
    if (present.has("worlds")) await this.#files("worlds", [".json"], (p, n) => this.#world(p, n));
    if (present.has("characters")) await this.#characters();
    if (present.has("chats")) await this.#chats();
    if (present.has("groups")) await this.#files("groups", [".json"], (p) => this.#group(p));
    if (present.has("group chats")) {
      await this.#files("group chats", [".jsonl"], (p, n) => this.#groupChat(p, n));
    }
    if (present.has("OpenAI Settings")) {
      await this.#files("OpenAI Settings", [".json"], (p, n) => this.#preset(p, n));
    }
    if (present.has("settings.json")) await this.#guard("settings.json", () => this.#settings());
    if (present.has("secrets.json")) {
      if (this.#options.includeSecrets) await this.#guard("secrets.json", () => this.#secrets());
      else this.#skip("secrets.json", "not imported: secrets are imported only when asked (includeSecrets)");
    }
    for (const folder of ["User Avatars", "backgrounds"] as const) {
      if (present.has(folder)) await this.#files(folder, null, (p, n) => this.#image(folder, p, n));
    }
  }

  // ---- phases ----

  async #world(path: string, name: string): Promise<void> {
    const book = await this.#json(path);
    if (!isObject(book) || !isObject(book.entries)) {
      throw invalid("not a World Info book (no entries object)");
    }
    const existing = this.#lodge.worldInfo.get(name);
    if (existing) return this.#same(path, deepEqual(existing, book), `a book named ${name} exists`);
    await this.#lodge.worldInfo.save(name, book);
    this.report.imported.worlds++;
  }

  async #characters(): Promise<void> {
    const entries = await this.#list("characters");
    const pngs = new Set(entries.filter((e) => e.isFile && /\.png$/i.test(e.name)).map((e) => e.name));
    const worlds = new Set(this.#lodge.worldInfo.names());
    let done = 0;
    for (const entry of entries) {
      const path = `characters/${entry.name}`;
      this.#progress("characters", path, ++done, entries.length);
      if (entry.isDirectory) {
        this.#skip(path, "not imported: Lodge does not model expression sprites");
        continue;
      }
      const json = /\.json$/i.test(entry.name);
      if (!json && !/\.png$/i.test(entry.name)) {
        this.#skip(path, "not imported: not a PNG or JSON card");
        continue;
      }
      const avatar = json ? entry.name.replace(/\.json$/i, ".png") : entry.name;
      if (json && pngs.has(avatar)) {
        this.#skip(path, `not imported: ${avatar} is the same character`);
        continue;
      }
      await this.#guard(path, async () => {
        if (!entry.isFile) throw invalid("not a regular file (links are not followed)");
        safeName(avatar, "avatar");
        const bytes = await Deno.readFile(this.#abs(path));
        const existing = this.#lodge.characters.get(avatar);
        if (existing) {
          const { card } = readCardFile(bytes);
          return this.#same(
            path,
            sameCard(this.#lodge.store.getCharacter(avatar)!, card),
            `${avatar} exists`,
          );
        }
        const { world } = await importCharacter(this.#lodge, bytes, { avatar, worlds });
        if (world !== undefined) {
          worlds.add(world);
          this.report.imported.worlds++;
        }
        this.report.imported.characters++;
      });
    }
  }

  async #chats(): Promise<void> {
    for (const folder of await this.#list("chats")) {
      const base = `chats/${folder.name}`;
      if (!folder.isDirectory) {
        this.#skip(base, "not imported: chats are kept in one folder per character");
        continue;
      }
      const owner = `${folder.name}.png`;
      if (!isSafeName(owner) || !this.#lodge.characters.get(owner)) {
        this.#skip(base, `not imported: no character ${owner}`);
        continue;
      }
      await this.#files(base, [".jsonl"], async (path, file) => {
        const key: ChatKey = { kind: "character", owner, file };
        await this.#chatFile(path, key, () => this.report.imported.chats++);
      }, "chats");
    }
  }

  async #group(path: string): Promise<void> {
    const group = await this.#json(path);
    if (!isObject(group)) throw invalid("not a group (not a JSON object)");
    const id = safeName(group.id, "group id");
    for (const chatId of Array.isArray(group.chats) ? group.chats : []) {
      this.#groupOf.set(String(chatId), group);
    }
    const existing = this.#lodge.characters.group(id);
    if (existing) return this.#same(path, deepEqual(existing, group), `group ${id} exists`);
    await this.#lodge.characters.importGroup(group);
    this.report.imported.groups++;
  }

  async #groupChat(path: string, file: string): Promise<void> {
    const group = this.#groupOf.get(file);
    // SillyTavern 1.12 keeps a group chat's metadata in its group: the current chat's in chat_metadata,
    // earlier ones' in past_metadata.
    const metadata = group?.chat_id === file
      ? group.chat_metadata
      : isObject(group?.past_metadata)
      ? group.past_metadata[file]
      : undefined;
    const key: ChatKey = { kind: "group", owner: "", file };
    await this.#chatFile(path, key, () => this.report.imported.groupChats++, {
      userName: String(this.#lodge.settings.get().username ?? "User"),
      characterName: String(group?.name ?? ""),
      metadata: isObject(metadata) ? metadata : {},
    });
  }

  async #chatFile(
    path: string,
    key: ChatKey,
    counted: () => void,
    headerless?: { userName: string; characterName: string; metadata: Record<string, unknown> },
  ): Promise<void> {
    if (this.#lodge.chats.find(key)) {
      this.report.unchanged++; // a chat already there is left as it is (it may have gone on since)
      return;
    }
    const file = await Deno.open(this.#abs(path));
    try {
      const result = await importChatFile(this.#lodge.chats, key, file, { headerless, buffer: this.#buffer });
      for (const line of result.skipped) this.#skip(`${path}:${line.line}`, line.reason);
      counted();
    } finally {
      file.close();
    }
  }

  async #preset(path: string, name: string): Promise<void> {
    const body = await this.#json(path);
    if (!isObject(body)) throw invalid("not a preset (not a JSON object)");
    const existing = this.#lodge.presets.getStored({ collection: "openai", name });
    if (existing) return this.#same(path, deepEqual(existing, body), `a preset named ${name} exists`);
    await this.#lodge.presets.save({ collection: "openai", name }, body);
    this.report.imported.presets++;
  }

  async #settings(): Promise<void> {
    const incoming = await this.#json("settings.json");
    if (!isObject(incoming)) throw invalid("settings.json is not a JSON object");
    assertStorable(incoming, "settings.json");
    const current = this.#lodge.settings.get();
    // SillyTavern's settings win; plugin settings Lodge already keeps stay beside SillyTavern's.
    const next: Record<string, unknown> = { ...current, ...incoming };
    if (isObject(current.extension_settings) && isObject(incoming.extension_settings)) {
      next.extension_settings = { ...current.extension_settings, ...incoming.extension_settings };
    }
    if (deepEqual(next, current)) this.report.unchanged++;
    else {
      await this.#lodge.settings.save(next);
      this.report.imported.settings = 1;
    }
    const oai = isObject(incoming.oai_settings) ? incoming.oai_settings : {};
    const selected = oai.preset_settings_openai;
    if (typeof selected !== "string" || selected === "") return;
    const found = this.#lodge.presets.find("openai", selected);
    if (!found) this.#skip("settings.json", `the selected preset ${selected} is not among the presets`);
    else if (this.#lodge.presets.getSelected("openai")?.name !== found.name) {
      await this.#lodge.presets.select("openai", found.name);
    }
  }

  async #secrets(): Promise<void> {
    const file = await this.#json("secrets.json");
    if (!isObject(file)) throw invalid("secrets.json is not a JSON object");
    for (const [key, raw] of Object.entries(file)) {
      const values = typeof raw === "string"
        ? [{ value: raw, label: undefined }]
        : Array.isArray(raw)
        ? raw.filter(isObject).map((e) => ({ value: e.value, label: e.label }))
        : [];
      for (const { value, label } of values) {
        if (typeof value !== "string" || value === "") continue;
        await this.#guard(`secrets.json#${key}`, async () => {
          if (await this.#lodge.secrets.holds(key, value)) return void this.report.unchanged++;
          await this.#lodge.secrets.write(key, value, typeof label === "string" ? label : undefined);
          this.report.imported.secrets++;
        });
      }
    }
  }

  async #image(folder: ImageFolder, path: string, name: string): Promise<void> {
    const bytes = await Deno.readFile(this.#abs(path));
    const existing = await this.#lodge.images.get(folder, name);
    if (existing) return this.#same(path, deepEqual(existing, bytes), `${folder}/${name} exists`);
    await this.#lodge.images.put(folder, name, bytes);
    this.report.imported.images++;
  }

  // ---- helpers ----

  /**
   * Runs `fn` for each regular file of `folder` ending in one of `extensions` (null: any), with its path
   * and its name without the extension; other entries are reported.
   */
  async #files(
    folder: string,
    extensions: string[] | null,
    fn: (path: string, name: string) => Promise<void>,
    phase = folder,
  ): Promise<void> {
    const entries = await this.#list(folder);
    let done = 0;
    for (const entry of entries) {
      const path = `${folder}/${entry.name}`;
      this.#progress(phase, path, ++done, entries.length);
      const ext = extensions?.find((e) => entry.name.toLowerCase().endsWith(e));
      if (extensions && !ext) {
        this.#skip(path, `not imported: not a ${extensions.join(" or ")} file`);
        continue;
      }
      await this.#guard(path, () => {
        if (!entry.isFile) throw invalid("not a regular file (links are not followed)");
        const name = ext ? entry.name.slice(0, -ext.length) : entry.name;
        return fn(path, safeName(name, "name"));
      });
    }
  }

  /** Runs one file's import; an error that concerns the file is reported, anything else stops the run. */
  async #guard(path: string, fn: () => Promise<void> | void): Promise<void> {
    try {
      await fn();
    } catch (error) {
      if (error instanceof LodgeError || error instanceof SyntaxError) this.#skip(path, error.message);
      else if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
        this.#skip(path, `cannot be read: ${error.message}`);
      } else throw error;
    }
  }

  #same(path: string, equal: boolean, what: string): void {
    if (equal) this.report.unchanged++;
    else this.#skip(path, `not imported: ${what} and differs (left as it is)`);
  }

  #skip(path: string, reason: string): void {
    this.report.skipped.push({ path, reason });
  }

  #progress(phase: string, path: string, done: number, total: number): void {
    const payload: ImportProgress = { phase, path, done, total };
    void this.#lodge.events.emit(eventTypes.IMPORT_PROGRESS, payload).catch(() => {});
  }

  /** Entries of a folder (symbolic links listed as neither file nor folder), sorted by name. */
  async #list(folder: string): Promise<Deno.DirEntry[]> {
    const out: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(this.#abs(folder))) out.push(entry);
    } catch (error) {
      this.#skip(folder || ".", `cannot be read: ${(error as Error).message}`);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async #json(path: string): Promise<unknown> {
    const text = await Deno.readTextFile(this.#abs(path));
    try {
      return JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw invalid(`not valid JSON: ${(error as Error).message}`);
    }
  }

  #abs(path: string): string {
    return path === "" ? this.#root : `${this.#root}/${path}`;
  }
}

/**
 * Whether a stored card is the one a file holds, allowing for the World Info binding an import adds to
 * a card whose embedded book it turned into a book.
 */
function sameCard(stored: CharacterCard, read: CharacterCard): boolean {
  if (deepEqual(stored, read)) return true;
  const ext = isObject(read.extensions) ? read.extensions : null;
  const storedExt = isObject(stored.extensions) ? stored.extensions : null;
  if (!ext || !storedExt || (ext.world ?? "") !== "") return false;
  return deepEqual({ ...stored, extensions: { ...storedExt, world: ext.world } }, read);
}
