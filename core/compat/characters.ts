/**
 * Importing and exporting one character card through the core services: the card is stored by the
 * character service (typed check included), its picture beside it, and an embedded `character_book`
 * not yet linked to a World Info book becomes one, bound to the card as SillyTavern's import does.
 * @module
 */

import type { CharacterService } from "../characters.ts";
import type { WorldInfoService } from "../documents.ts";
import { invalid } from "../errors.ts";
import { isObject } from "../json.ts";
import { fileSafe, isSafeName } from "../names.ts";
import type { CharacterCard } from "../store.ts";
import { bookFromCharacter } from "./book.ts";
import { cardJson, cardPng, readCardFile } from "./card.ts";
import type { CardFields } from "../schema/mod.ts";

/** The services an import writes through. */
export interface CardDeps {
  characters: CharacterService;
  worldInfo: WorldInfoService;
}

/** What {@link importCharacter} stored. */
export interface ImportedCharacter {
  /** The card's avatar (its key, e.g. `Alice.png`). */
  avatar: string;
  /** The World Info book made from the embedded book, when one was made. */
  world?: string;
}

/** Options of {@link importCharacter}. */
export interface ImportCharacterOptions {
  /** The avatar to store it under (a folder import keeps the file's); else one is made from the name. */
  avatar?: string;
  /** Books that exist or are about to: an embedded book linked to one of them is left as it is. */
  worlds?: ReadonlySet<string>;
}

/**
 * Imports a card file (PNG or JSON). Throws `invalid` for a file that holds no card, a card without a
 * name (SillyTavern refuses those too: a JSON object with neither `spec`, `name` nor `char_name` is an
 * unknown format to it) or a card that fails the typed check, `conflict` when `options.avatar` is
 * taken. Nothing is stored when it throws.
 *
 * @example
 * ```ts
 * const { avatar, world } = await importCharacter(lodge, await Deno.readFile("Alice.png"));
 * ```
 */
export async function importCharacter(
  deps: CardDeps,
  bytes: Uint8Array,
  options: ImportCharacterOptions = {},
): Promise<ImportedCharacter> {
  const { card, image } = readCardFile(bytes);
  if (typeof card.name !== "string" || card.name.trim() === "") {
    throw invalid("the card has no name (a character card needs data.name, or name in a V1 card)");
  }
  const world = await embeddedWorld(deps, card, options.worlds);
  let created;
  try {
    created = deps.characters.create(card as CardFields, options.avatar, { asIs: true });
  } catch (error) {
    if (world !== undefined) deps.worldInfo.delete(world); // the card it was made for was refused
    throw error;
  }
  if (image) await deps.characters.setImage(created.avatar, image);
  return world === undefined ? { avatar: created.avatar } : { avatar: created.avatar, world };
}

/**
 * Saves an embedded book that no existing book holds as a World Info book and links the card to it
 * (`extensions.world`). A name already taken gets a number, so no book is overwritten.
 */
async function embeddedWorld(
  deps: CardDeps,
  card: CharacterCard,
  worlds: ReadonlySet<string> | undefined,
): Promise<string | undefined> {
  const book = card.character_book;
  if (!isObject(book) || !Array.isArray(book.entries)) return undefined;
  const extensions = isObject(card.extensions) ? card.extensions : {};
  const linked = typeof extensions.world === "string" ? extensions.world : "";
  const known = worlds ?? new Set(deps.worldInfo.names());
  const exists = (name: string) => known.has(name) || (isSafeName(name) && deps.worldInfo.get(name) !== null);
  if (linked !== "" && exists(linked)) return undefined;
  const named = typeof book.name === "string" && book.name.trim() !== ""
    ? book.name
    : `${card.name}'s Lorebook`;
  const base = fileSafe(named, "Lorebook");
  let name = base;
  for (let n = 2; exists(name); n++) name = `${base} ${n}`;
  await deps.worldInfo.save(name, bookFromCharacter(book));
  card.extensions = { ...extensions, world: name };
  return name;
}

/**
 * A stored card as a file in the format SillyTavern's export route answers: a PNG (its picture with the
 * V2 `chara` and V3 `ccv3` chunks) or the V2 JSON.
 *
 * @example
 * ```ts
 * const { body, type } = await exportCharacter(lodge.characters, "Alice.png", "png");
 * ```
 */
export async function exportCharacter(
  characters: CharacterService,
  avatar: string,
  format: "png" | "json",
): Promise<{ body: Uint8Array | string; type: string }> {
  const card = characters.require(avatar);
  if (format === "json") return { body: cardJson(card), type: "application/json" };
  return { body: await cardPng(card, await characters.image(avatar)), type: "image/png" };
}
