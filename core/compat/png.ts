/**
 * Character card data in PNG files, as SillyTavern 1.12.6 and the V2/V3 card specs keep it: base64
 * JSON in `tEXt` chunks, `chara` (V1/V2) and `ccv3` (V3). Chunk parsing, CRCs and text chunk coding are
 * the png-chunks packages' (the ones SillyTavern uses); this module only decides which chunks hold a card.
 * @module
 */

// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
// @ts-types="@types/png-chunks-encode"
import encodeChunks from "png-chunks-encode";
// @ts-types="@types/png-chunk-text"
import * as pngText from "png-chunk-text";
import { invalid } from "../errors.ts";

type Chunk = { name: string; data: Uint8Array };

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CARD_KEYWORDS = new Set(["chara", "ccv3"]);

/** Whether the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** What a card PNG holds: the card texts by keyword and the picture without them. */
export interface PngCard {
  /** The decoded JSON text of the `ccv3` chunk, if any. */
  ccv3: string | null;
  /** The decoded JSON text of the `chara` chunk, if any. */
  chara: string | null;
  /** The same PNG with every `chara`/`ccv3` chunk removed. */
  image: Uint8Array;
}

/**
 * Reads the card chunks of a PNG. Throws `invalid` for bytes that are not a well-formed PNG (bad
 * signature, a chunk whose CRC does not match, a missing IEND) or a card chunk that is not base64 UTF-8.
 *
 * @example
 * ```ts
 * const { ccv3, chara, image } = readPngCard(await Deno.readFile("Alice.png"));
 * const json = JSON.parse(ccv3 ?? chara ?? "{}");
 * ```
 */
export function readPngCard(bytes: Uint8Array): PngCard {
  const { kept, cards } = split(bytes);
  const found: Record<string, string> = {};
  // The first chunk of a keyword wins, as SillyTavern reads it.
  for (const { keyword, text } of cards) found[keyword] ??= decodeBase64Text(text, keyword);
  return { ccv3: found.ccv3 ?? null, chara: found.chara ?? null, image: encodeChunks(kept) };
}

/**
 * Writes card JSON into a PNG as SillyTavern 1.12.6 does: existing `chara`/`ccv3` chunks are dropped and
 * the new ones go just before IEND, `chara` first.
 *
 * @example
 * ```ts
 * const png = writePngCard(image, { chara: JSON.stringify(v2), ccv3: JSON.stringify(v3) });
 * ```
 */
export function writePngCard(image: Uint8Array, texts: { chara: string; ccv3?: string }): Uint8Array {
  const { kept } = split(image);
  const added: Chunk[] = [pngText.encode("chara", encodeBase64Text(texts.chara))];
  if (texts.ccv3 !== undefined) added.push(pngText.encode("ccv3", encodeBase64Text(texts.ccv3)));
  kept.splice(kept.length - 1, 0, ...added);
  return encodeChunks(kept);
}

/** The chunks of a PNG, the card text chunks taken out. */
function split(bytes: Uint8Array): { kept: Chunk[]; cards: { keyword: string; text: string }[] } {
  let chunks: Chunk[];
  try {
    chunks = extractChunks(bytes);
  } catch (error) {
    throw invalid(`not a readable PNG: ${(error as Error).message}`);
  }
  const kept: Chunk[] = [];
  const cards: { keyword: string; text: string }[] = [];
  for (const chunk of chunks) {
    const keyword = chunk.name === "tEXt" ? textKeyword(chunk) : null;
    if (keyword === null || !CARD_KEYWORDS.has(keyword)) kept.push(chunk);
    else cards.push({ keyword, text: pngText.decode(chunk.data).text });
  }
  return { kept, cards };
}

let placeholder: Promise<Uint8Array> | null = null;

/**
 * The picture of a card that has none: a 400×600 grey PNG (SillyTavern's avatar size), built once.
 * Its pixels are compressed with the platform's `CompressionStream("deflate")`, the zlib stream PNG uses.
 */
export function placeholderPng(): Promise<Uint8Array> {
  placeholder ??= (async () => {
    const width = 400, height = 600;
    const header = new Uint8Array(13);
    const view = new DataView(header.buffer);
    view.setUint32(0, width);
    view.setUint32(4, height);
    header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, no interlace
    const rows = new Uint8Array((width + 1) * height);
    for (let y = 0; y < height; y++) rows.fill(0x9a, y * (width + 1) + 1, (y + 1) * (width + 1));
    const stream = new Blob([rows]).stream().pipeThrough(new CompressionStream("deflate"));
    const pixels = new Uint8Array(await new Response(stream).arrayBuffer());
    return encodeChunks([
      { name: "IHDR", data: header },
      { name: "IDAT", data: pixels },
      { name: "IEND", data: new Uint8Array(0) },
    ]);
  })();
  return placeholder.then((png) => png.slice());
}

function textKeyword(chunk: Chunk): string | null {
  const end = chunk.data.indexOf(0);
  if (end <= 0) return null;
  return String.fromCharCode(...chunk.data.subarray(0, Math.min(end, 79))).toLowerCase();
}

function decodeBase64Text(text: string, keyword: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.fromBase64(text));
  } catch {
    throw invalid(`the ${keyword} chunk is not base64-encoded UTF-8`);
  }
}

function encodeBase64Text(text: string): string {
  return new TextEncoder().encode(text).toBase64();
}
