/**
 * SillyTavern character cards ↔ Lodge's stored card. A SillyTavern 1.12.6 card file is a V2 object: the
 * V1 fields at the top level mirroring `data`, SillyTavern's own top-level fields (`talkativeness`,
 * `fav`, `chat`, `create_date`, `creatorcomment`, `avatar: "none"`), `spec`, `spec_version` and `data`.
 * Lodge stores one flat object: every `data` field plus the top-level fields that are not mirrors. What
 * a flat card cannot say by itself (an unknown field that lived at the top level, a mirror that disagreed
 * with `data`) is kept in the card's {@link LAYOUT_FIELD}, so the export of an untouched import has the
 * fields the file had, with the values it had.
 * @module
 */

import { invalid } from "../errors.ts";
import { deepEqual, isObject } from "../json.ts";
import type { CharacterCard } from "../store.ts";
import { isPng, placeholderPng, readPngCard, writePngCard } from "./png.ts";

/** The card field that records where fields of the original file lived (absent when nothing needs it). */
export const LAYOUT_FIELD = "sillytavern_layout";

/** Where a flat field lives in the file: at the top level, in `data`, or in both. */
export type Placement = "top" | "data" | "both";

/** What {@link LAYOUT_FIELD} holds. */
export interface CardLayout {
  /** Fields placed other than by default (SillyTavern's own top-level fields at the top, the rest in `data`). */
  place?: Record<string, Placement>;
  /**
   * Top-level values that differed from the `data` value beside them (or were absent while it was
   * present): the top value (`undefined` = absent) and the `data` value it sat beside.
   */
  mirrors?: Record<string, { top?: unknown; data?: unknown }>;
}

/** V1 fields SillyTavern repeats at the top level from `data` (`creatorcomment` from `creator_notes`). */
const MIRRORS: Readonly<Record<string, string>> = Object.freeze({
  name: "name",
  description: "description",
  personality: "personality",
  scenario: "scenario",
  first_mes: "first_mes",
  mes_example: "mes_example",
  creatorcomment: "creator_notes",
  tags: "tags",
});

/** SillyTavern's own top-level fields that are not in `data`. */
const TOP_ONLY = new Set(["talkativeness", "fav", "chat", "create_date"]);

/** Fields of the file envelope itself, never stored. */
const ENVELOPE = new Set(["spec", "spec_version", "data", "avatar", "json_data"]);

/** A card read from a file: the flat fields to store and the picture, if it came as a PNG. */
export interface ReadCard {
  /** The flat card (as {@link fromSillyTavern} makes it). */
  card: CharacterCard;
  /** The PNG without its card chunks; null for a JSON card. */
  image: Uint8Array | null;
  /** The spec the file declared (`chara_card_v3`, `chara_card_v2`, or `v1`). */
  spec: string;
}

/**
 * Reads a card file: a PNG (the `ccv3` chunk wins over `chara`, as in SillyTavern) or JSON text.
 * Throws `invalid` with the reason when the bytes hold no card.
 *
 * @example
 * ```ts
 * const { card, image } = readCardFile(await Deno.readFile("Alice.png"));
 * ```
 */
export function readCardFile(bytes: Uint8Array): ReadCard {
  let text: string;
  let image: Uint8Array | null = null;
  if (isPng(bytes)) {
    const png = readPngCard(bytes);
    const found = png.ccv3 ?? png.chara;
    if (found === null) throw invalid("the PNG holds no character card (no chara or ccv3 text chunk)");
    text = found;
    image = png.image;
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw invalid("not a PNG and not UTF-8 text");
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw invalid(`the card is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw invalid("the card is not a JSON object");
  const card = fromSillyTavern(json);
  return { card, image, spec: typeof json.spec === "string" ? json.spec : "v1" };
}

/**
 * Turns a SillyTavern card object (V2/V3 with `data`, or a V1 object) into the flat card Lodge stores.
 * Values are taken as they are: the typed check happens when the card is stored.
 *
 * @example
 * ```ts
 * fromSillyTavern({ spec: "chara_card_v2", spec_version: "2.0", name: "A", data: { name: "A" } });
 * // → { name: "A" }
 * ```
 */
export function fromSillyTavern(json: Record<string, unknown>): CharacterCard {
  if (json.spec === undefined || !isObject(json.data)) return fromV1(json);
  const data = json.data;
  const card: CharacterCard = { ...data };
  const place: Record<string, Placement> = {};
  const mirrors: Record<string, { top?: unknown; data?: unknown }> = {};
  const remember = (key: string, top: unknown, beside: unknown) => {
    if (!deepEqual(top, beside)) mirrors[key] = { top, data: beside };
  };
  for (const key of Object.keys(MIRRORS)) remember(key, json[key], data[MIRRORS[key]]);
  if (json.avatar !== undefined && json.avatar !== "none") mirrors.avatar = { top: json.avatar };
  for (const key of Object.keys(data)) {
    if (key in MIRRORS || !(key in json)) {
      if (defaultPlace(key) !== "data") place[key] = "data";
    } else if (deepEqual(json[key], data[key])) {
      place[key] = "both";
    } else {
      // The same name at both levels with two values: `data` owns the flat field, the top one is kept.
      if (defaultPlace(key) !== "data") place[key] = "data";
      mirrors[key] = { top: json[key], data: data[key] };
    }
  }
  for (const [key, value] of Object.entries(json)) {
    if (ENVELOPE.has(key) || key in MIRRORS || key in data) continue;
    card[key] = value;
    if (defaultPlace(key) !== "top") place[key] = "top";
  }
  const layout: CardLayout = {};
  if (Object.keys(place).length) layout.place = place;
  if (Object.keys(mirrors).length) layout.mirrors = mirrors;
  if (layout.place || layout.mirrors) card[LAYOUT_FIELD] = layout;
  return card;
}

function defaultPlace(key: string): Placement {
  return TOP_ONLY.has(key) ? "top" : "data";
}

/** A V1 card (no `spec`): its fields become the V2 fields, as SillyTavern converts them. */
function fromV1(json: Record<string, unknown>): CharacterCard {
  const { creatorcomment, avatar: _avatar, ...rest } = json;
  const card: CharacterCard = {
    ...rest,
    name: json.name,
    description: json.description ?? "",
    personality: json.personality ?? "",
    scenario: json.scenario ?? "",
    first_mes: json.first_mes ?? "",
    mes_example: json.mes_example ?? "",
    creator_notes: creatorcomment ?? json.creator_notes ?? "",
    system_prompt: json.system_prompt ?? "",
    post_history_instructions: json.post_history_instructions ?? "",
    tags: typeof json.tags === "string"
      ? json.tags.split(",").map((t) => t.trim()).filter((t) => t !== "")
      : json.tags ?? [],
    creator: json.creator ?? "",
    character_version: json.character_version ?? "",
    alternate_greetings: json.alternate_greetings ?? [],
    extensions: {
      talkativeness: json.talkativeness ?? 0.5,
      fav: json.fav === true,
      world: "",
      depth_prompt: { prompt: "", depth: 4, role: "system" },
      ...(isObject(json.extensions) ? json.extensions : {}),
    },
    talkativeness: json.talkativeness ?? 0.5,
    fav: json.fav === true,
  };
  return card;
}

/**
 * The SillyTavern V2 card object of a stored card, as SillyTavern 1.12.6 writes it in a `chara` chunk.
 *
 * @example
 * ```ts
 * const v2 = toSillyTavern(lodge.characters.require("Alice.png"));
 * v2.spec; // "chara_card_v2"
 * ```
 */
export function toSillyTavern(stored: CharacterCard): Record<string, unknown> {
  const layout = (isObject(stored[LAYOUT_FIELD]) ? stored[LAYOUT_FIELD] : {}) as CardLayout;
  const place = isObject(layout.place) ? layout.place : {};
  const data: Record<string, unknown> = {};
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key === LAYOUT_FIELD || ENVELOPE.has(key)) continue;
    const where = place[key] ?? defaultPlace(key);
    if (where !== "data") top[key] = value;
    if (where !== "top") data[key] = value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(MIRRORS)) {
    if (data[source] !== undefined) out[key] = data[source];
  }
  out.avatar = "none";
  Object.assign(out, top);
  for (const [key, mirror] of Object.entries(isObject(layout.mirrors) ? layout.mirrors : {})) {
    // A remembered top value stays only while the data value beside it is unchanged.
    const now = key in MIRRORS ? data[MIRRORS[key]] : key === "avatar" ? undefined : data[key];
    if (!deepEqual(now, mirror.data)) continue;
    if (mirror.top === undefined) delete out[key];
    else out[key] = mirror.top;
  }
  return { ...out, spec: "chara_card_v2", spec_version: "2.0", data };
}

/** The V3 form of {@link toSillyTavern}'s object (what the `ccv3` chunk holds). */
export function toSillyTavernV3(v2: Record<string, unknown>): Record<string, unknown> {
  return { ...v2, spec: "chara_card_v3", spec_version: "3.0" };
}

/**
 * A card as a PNG file: the stored picture (or a plain one) with the V2 `chara` and V3 `ccv3` chunks.
 *
 * @example
 * ```ts
 * await Deno.writeFile("Alice.png", await cardPng(card, await lodge.images.get("characters", "Alice.png")));
 * ```
 */
export async function cardPng(stored: CharacterCard, image: Uint8Array | null): Promise<Uint8Array> {
  const v2 = toSillyTavern(stored);
  return writePngCard(image ?? await placeholderPng(), {
    chara: JSON.stringify(v2),
    ccv3: JSON.stringify(toSillyTavernV3(v2)),
  });
}

/** A card as SillyTavern's JSON export: the V2 object, indented by four spaces. */
export function cardJson(stored: CharacterCard): string {
  return JSON.stringify(toSillyTavern(stored), null, 4);
}
