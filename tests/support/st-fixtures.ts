/**
 * SillyTavern 1.12.6 data in its exact formats, built by the tests themselves: character card PNGs with
 * real `tEXt` chunks (`chara` V2 base64 JSON, `ccv3` V3), JSONL chats (header line, swipes, `swipe_info`,
 * `extra` with tool invocations, unknown fields), World Info books, chat-completion presets, groups, a
 * `settings.json`, a `secrets.json`, and a user folder holding all of them.
 */

// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
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

/** A regex script as SillyTavern 1.12.6's regex extension stores it (global or in a card). */
export function regexScript(id: string, scriptName: string, findRegex: string, replaceString: string) {
  return {
    id,
    scriptName,
    findRegex,
    replaceString,
    trimStrings: [],
    placement: [2],
    disabled: false,
    markdownOnly: false,
    promptOnly: false,
    runOnEdit: true,
    substituteRegex: 0,
    minDepth: null,
    maxDepth: null,
  };
}

/** The card chunks of a PNG (`chara`, `ccv3`, ...), decoded from base64 JSON, by keyword. */
export function readCardChunks(png: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const chunk of extractChunks(png)) {
    if (chunk.name !== "tEXt") continue;
    const { keyword, text } = pngText.decode(chunk.data);
    out[keyword] = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(text)));
  }
  return out;
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
      regex_scripts: [regexScript("a1b2", "shout", "/hello/gi", "HELLO")],
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

/** A chat file's lines: the header, then messages with swipes, `swipe_info`, tool invocations, unknown fields. */
export function stChatLines(character: string, count = 4): Record<string, unknown>[] {
  const header = {
    user_name: "Robin",
    character_name: character,
    create_date: "2024-5-1 @10h 00m 00s 000ms",
    chat_metadata: {
      integrity: "5d2c1f3e-0000-4000-8000-000000000001",
      note_prompt: "",
      note_interval: 1,
      note_position: 1,
      note_depth: 4,
      note_role: 0,
      tainted: false,
      timedWorldInfo: { sticky: {}, cooldown: {} },
      variables: { mood: "calm" },
      lastInContextMessageId: 0,
    },
  };
  const messages: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const user = i % 2 === 1;
    const date = `2024-5-1 @10h ${String(i % 60).padStart(2, "0")}m 00s 000ms`;
    if (user) {
      messages.push({
        name: "Robin",
        is_user: true,
        is_system: false,
        send_date: date,
        mes: `question ${i}`,
        extra: { isSmallSys: false },
        force_avatar: "User Avatars/robin.png",
      });
    } else if (i === 2) {
      messages.push({
        name: character,
        is_user: false,
        is_system: true,
        send_date: date,
        mes: "",
        extra: {
          type: "tool_invocation",
          tool_invocations: [{
            id: "call_1",
            displayName: "Weather",
            name: "get_weather",
            parameters: '{"city":"Oslo"}',
            result: "sunny",
          }],
        },
      });
    } else {
      const swipes = [`answer ${i}`, `another answer ${i}`];
      messages.push({
        name: character,
        is_user: false,
        is_system: false,
        send_date: date,
        mes: swipes[1],
        swipes,
        swipe_id: 1,
        swipe_info: [
          {
            send_date: date,
            gen_started: "2024-05-01T10:00:00.000Z",
            gen_finished: "2024-05-01T10:00:02.000Z",
            extra: {},
          },
          { send_date: date, extra: { api: "openai", model: "gpt-4o" } },
        ],
        gen_started: "2024-05-01T10:00:00.000Z",
        gen_finished: "2024-05-01T10:00:02.000Z",
        extra: { api: "openai", model: "gpt-4o", reasoning: "", token_count: 12 },
        unknown_field: { kept: [1, 2, 3] },
      });
    }
  }
  return [header, ...messages];
}

/** Lines joined as SillyTavern writes a `.jsonl` (no newline after the last). */
export function jsonl(lines: unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n");
}

/** A World Info book file in SillyTavern 1.12.6's shape. */
export function stWorld(keyword: string): Record<string, unknown> {
  return {
    entries: {
      "0": {
        uid: 0,
        key: [keyword],
        keysecondary: [],
        comment: `about ${keyword}`,
        content: `${keyword} matters.`,
        constant: false,
        vectorized: false,
        selective: true,
        selectiveLogic: 0,
        addMemo: true,
        order: 100,
        position: 0,
        disable: false,
        excludeRecursion: false,
        preventRecursion: false,
        delayUntilRecursion: false,
        probability: 100,
        useProbability: true,
        depth: 4,
        group: "",
        groupOverride: false,
        groupWeight: 100,
        scanDepth: null,
        caseSensitive: null,
        matchWholeWords: null,
        useGroupScoring: null,
        automationId: "",
        role: null,
        sticky: 0,
        cooldown: 0,
        delay: 0,
        displayIndex: 0,
        characterFilter: { isExclude: false, names: [], tags: [] },
      },
    },
  };
}

/** A chat-completion preset (`OpenAI Settings/<name>.json`) in SillyTavern 1.12.6's shape (abridged). */
export function stPreset(temperature: number): Record<string, unknown> {
  return {
    chat_completion_source: "openai",
    openai_model: "gpt-4o",
    temperature,
    frequency_penalty: 0,
    presence_penalty: 0,
    top_p: 1,
    top_k: 0,
    openai_max_context: 4095,
    openai_max_tokens: 300,
    stream_openai: true,
    wrap_in_quotes: false,
    names_behavior: 0,
    send_if_empty: "",
    impersonation_prompt: "[Write your next reply from the point of view of {{user}}.]",
    new_chat_prompt: "[Start a new Chat]",
    prompts: [
      {
        name: "Main Prompt",
        system_prompt: true,
        role: "system",
        content: "Write {{char}}'s next reply.",
        identifier: "main",
      },
      { identifier: "chatHistory", name: "Chat History", system_prompt: true, marker: true },
    ],
    prompt_order: [{
      character_id: 100001,
      order: [{ identifier: "main", enabled: true }, { identifier: "chatHistory", enabled: true }],
    }],
    custom_field_kept: { a: 1 },
  };
}

/** A `settings.json` with the parts Lodge maps (personas, preset, World Info, regex) and others kept. */
export function stSettings(): Record<string, unknown> {
  return {
    firstRun: false,
    currentVersion: "1.12.6",
    username: "Robin",
    active_character: "Alice.png",
    active_group: null,
    user_avatar: "robin.png",
    main_api: "openai",
    world_info_settings: {
      world_info: { globalSelect: ["Lanterns"] },
      world_info_depth: 3,
      world_info_budget: 30,
      world_info_recursive: true,
      world_info_budget_cap: 0,
    },
    power_user: {
      tokenizer: 99,
      personas: { "robin.png": "Robin" },
      persona_descriptions: { "robin.png": { description: "A curious reader.", position: 0 } },
      default_persona: null,
    },
    extension_settings: {
      regex: [regexScript("g1", "trim", "/\\s+$/g", "")],
      quickReply: { isEnabled: false },
    },
    oai_settings: { preset_settings_openai: "Warm", temperature: 0.9 },
    background: { name: "library.jpg", url: 'url("backgrounds/library.jpg")' },
    tags: [{ id: "1", name: "test" }],
    tag_map: { "Alice.png": ["1"] },
  };
}

/** A group (`groups/<id>.json`) in SillyTavern 1.12.6's shape. */
export function stGroup(id: string, members: string[], chats: string[]): Record<string, unknown> {
  return {
    id,
    name: "Reading Club",
    members,
    avatar_url: "",
    allow_self_responses: false,
    activation_strategy: 0,
    generation_mode: 0,
    disabled_members: [],
    chat_metadata: { integrity: "aaaaaaaa-0000-4000-8000-000000000002", variables: {} },
    fav: false,
    chat_id: chats[chats.length - 1],
    chats,
    auto_mode_delay: 5,
    generation_mode_join_prefix: "",
    generation_mode_join_suffix: "",
    past_metadata: { [chats[0]]: { note_prompt: "older" } },
  };
}

/** A group chat's messages: a character's carry the avatar they were sent with, as SillyTavern's do. */
function groupLines(messages: Record<string, unknown>[], avatar: string): Record<string, unknown>[] {
  return messages.map((m) =>
    m.is_user ? m : { ...m, original_avatar: avatar, force_avatar: `/thumbnail?type=avatar&file=${avatar}` }
  );
}

/** Writes `text` (or bytes) to `dir/path`, making folders on the way. */
export async function put(dir: string, path: string, content: string | Uint8Array): Promise<void> {
  const full = `${dir}/${path}`;
  await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
  if (typeof content === "string") await Deno.writeTextFile(full, content);
  else await Deno.writeFile(full, content);
}

/** What {@link writeStFolder} wrote, for assertions. */
export interface StFolder {
  dir: string;
  cards: Record<string, Record<string, unknown>>;
  chats: Record<string, Record<string, unknown>[]>;
  groupChats: Record<string, Record<string, unknown>[]>;
}

/**
 * A SillyTavern 1.12 user folder: three cards (V2+V3 PNG, V2-only PNG with an embedded book already
 * linked, a JSON card), their chats, a group with two headerless group chats, a group whose chat starts
 * with a header line (as later versions write them), two books, two presets, a
 * settings.json, a secrets.json, a user avatar, a background, and folders Lodge does not model.
 */
export async function writeStFolder(dir: string): Promise<StFolder> {
  const cards = {
    "Alice.png": stCard("Alice"),
    "Bram.png": stCard("Bram", {
      data: { character_book: characterBook("Bram's Lore"), extensions: { world: "Bram's Lore", fav: true } },
    }),
    "Cleo.png": stCard("Cleo"),
  };
  await put(dir, "characters/Alice.png", await cardPngFile(cards["Alice.png"]));
  await put(dir, "characters/Bram.png", await cardPngFile(cards["Bram.png"], { v3: false }));
  await put(dir, "characters/Cleo.json", JSON.stringify(cards["Cleo.png"], null, 4));
  await put(dir, "characters/Alice/joy.png", await plainPng());
  const chats: Record<string, Record<string, unknown>[]> = {
    "Alice/Alice - 2024-5-1 @10h 00m 00s 000ms": stChatLines("Alice", 6),
    "Alice/Alice - 2024-5-2 @11h 00m 00s 000ms": stChatLines("Alice", 3),
    "Bram/Bram - 2024-5-3 @12h 00m 00s 000ms": stChatLines("Bram", 4),
  };
  for (const [path, lines] of Object.entries(chats)) await put(dir, `chats/${path}.jsonl`, jsonl(lines));
  // SillyTavern 1.12 writes group chats without a header line (their metadata lives in the group);
  // later versions and Luker start them with one whose names are "unused".
  const groupChats: Record<string, Record<string, unknown>[]> = {
    "1714550000000": groupLines(stChatLines("Alice", 3).slice(1), "Alice.png"),
    "1714560000000": groupLines(stChatLines("Bram", 2).slice(1), "Bram.png"),
    "1714590000000": [
      {
        chat_metadata: { integrity: "aaaaaaaa-0000-4000-8000-000000000003", variables: { round: 2 } },
        user_name: "unused",
        character_name: "unused",
      },
      ...groupLines(stChatLines("Cleo", 4).slice(1), "Cleo.png"),
    ],
  };
  for (const [id, lines] of Object.entries(groupChats)) {
    await put(dir, `group chats/${id}.jsonl`, jsonl(lines));
  }
  await put(
    dir,
    "groups/1714540000000.json",
    JSON.stringify(
      stGroup("1714540000000", ["Alice.png", "Bram.png"], ["1714550000000", "1714560000000"]),
      null,
      4,
    ),
  );
  await put(
    dir,
    "groups/1714580000000.json",
    JSON.stringify(stGroup("1714580000000", ["Cleo.png", "Alice.png"], ["1714590000000"]), null, 4),
  );
  await put(dir, "worlds/Lanterns.json", JSON.stringify(stWorld("lantern"), null, 4));
  await put(dir, "worlds/Bram's Lore.json", JSON.stringify(stWorld("bram"), null, 4));
  await put(dir, "OpenAI Settings/Warm.json", JSON.stringify(stPreset(0.9), null, 4));
  await put(dir, "OpenAI Settings/Cold.json", JSON.stringify(stPreset(0.2), null, 4));
  await put(dir, "settings.json", JSON.stringify(stSettings(), null, 4));
  await put(dir, "secrets.json", JSON.stringify({ api_key_openai: "sk-test-imported-0001" }, null, 4));
  await put(dir, "User Avatars/robin.png", await plainPng());
  await put(dir, "backgrounds/library.jpg", new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  await put(dir, "instruct/Alpaca.json", "{}");
  await put(dir, "QuickReplies/Default.json", "{}");
  await put(dir, "themes/Dark.json", "{}");
  return { dir, cards, chats, groupChats };
}
