/**
 * SillyTavern 1.12.6 data in its exact formats, built by the tests themselves: character card PNGs with
 * real `tEXt` chunks (`chara` V2 base64 JSON, `ccv3` V3), JSONL chats (header line, swipes, `swipe_info`,
 * `extra` with tool invocations, unknown fields), World Info books, chat-completion presets, groups, a
 * `settings.json`, a `secrets.json`, and a user folder holding all of them.
 */

// @ts-types="@types/png-chunks-encode"
import encodeChunks from "png-chunks-encode";
// @ts-types="@types/png-chunk-text"
import * as pngText from "png-chunk-text";

const encoder = new TextEncoder();

/** A small real PNG (2×2 RGBA, one IDAT) with optional extra chunks before IEND. */
export async function plainPng(extra: { name: string; data: Uint8Array }[] = []): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, 2);
  view.setUint32(4, 2);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = new Uint8Array([0, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
  const stream = new Blob([rows]).stream().pipeThrough(new CompressionStream("deflate"));
  const idat = new Uint8Array(await new Response(stream).arrayBuffer());
  return encodeChunks([
    { name: "IHDR", data: header },
    { name: "tIME", data: new Uint8Array([7, 232, 5, 1, 10, 0, 0]) },
    { name: "IDAT", data: idat },
    ...extra,
    { name: "IEND", data: new Uint8Array(0) },
  ]);
}

/** A `tEXt` chunk holding base64 UTF-8 JSON, as SillyTavern writes card chunks. */
export function cardChunk(keyword: "chara" | "ccv3", json: unknown): { name: string; data: Uint8Array } {
  return pngText.encode(keyword, encoder.encode(JSON.stringify(json)).toBase64());
}

/** A card PNG as SillyTavern 1.12.6 writes it: `chara` (V2) then `ccv3` (V3) before IEND. */
export function cardPngFile(
  v2: Record<string, unknown>,
  options: { v3?: boolean } = {},
): Promise<Uint8Array> {
  const chunks = [cardChunk("chara", v2)];
  if (options.v3 !== false) {
    chunks.push(cardChunk("ccv3", { ...v2, spec: "chara_card_v3", spec_version: "3.0" }));
  }
  return plainPng(chunks);
}

/** A V2 card object in SillyTavern 1.12.6's shape (top-level V1 mirrors, `data`, ST's own fields). */
export function stCard(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const data: Record<string, unknown> = {
    name,
    description: `${name} is a test character.`,
    personality: "curious",
    scenario: "a quiet library",
    first_mes: `Hello, I am ${name}.`,
    mes_example: "<START>\n{{user}}: Hi\n{{char}}: Hello!",
    creator_notes: "made for tests",
    system_prompt: "",
    post_history_instructions: "",
    tags: ["test", "library"],
    creator: "tests",
    character_version: "1.0",
    alternate_greetings: [`Hi there, ${name} here.`],
    extensions: {
      talkativeness: "0.5",
      fav: false,
      world: "",
      depth_prompt: { prompt: "", depth: 4, role: "system" },
      regex_scripts: [{
        id: "a1b2",
        scriptName: "shout",
        findRegex: "/hello/gi",
        replaceString: "HELLO",
        trimStrings: [],
        placement: [2],
        disabled: false,
        markdownOnly: false,
        promptOnly: false,
        runOnEdit: true,
        substituteRegex: 0,
        minDepth: null,
        maxDepth: null,
      }],
      some_extension: { nested: [1, 2, { deep: true }] },
    },
    group_only_greetings: [],
    ...(overrides.data as Record<string, unknown> ?? {}),
  };
  const { data: _data, ...top } = overrides;
  return {
    name: data.name,
    description: data.description,
    personality: data.personality,
    scenario: data.scenario,
    first_mes: data.first_mes,
    mes_example: data.mes_example,
    creatorcomment: data.creator_notes,
    avatar: "none",
    chat: `${name} - 2024-5-1 @10h 00m 00s 000ms`,
    talkativeness: "0.5",
    fav: false,
    tags: data.tags,
    spec: "chara_card_v2",
    spec_version: "2.0",
    data,
    create_date: "2024-5-1 @10h 00m 00s 000ms",
    ...top,
  };
}

/** An embedded `character_book` in the V2 spec's shape, with SillyTavern's entry extensions. */
export function characterBook(name: string): Record<string, unknown> {
  return {
    name,
    entries: [{
      id: 0,
      keys: ["lantern"],
      secondary_keys: [],
      comment: "the lantern",
      content: "The lantern never goes out.",
      constant: false,
      selective: true,
      insertion_order: 100,
      enabled: true,
      position: "after_char",
      use_regex: true,
      extensions: { position: 1, depth: 4, probability: 100, useProbability: true, role: 0 },
    }],
  };
}
