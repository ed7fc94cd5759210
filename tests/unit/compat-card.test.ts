/**
 * SillyTavern character cards through `core/compat`: PNG `chara`/`ccv3` chunks read and written, V1, V2
 * and V3 cards, the field-level round trip (the export of an untouched import equals the file), an
 * embedded book becoming a bound World Info book, and bad files refused with a reason.
 */

import assert from "node:assert/strict";
// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
// @ts-types="@types/png-chunk-text"
import * as pngText from "png-chunk-text";
import {
  cardJson,
  cardPng,
  exportCharacter,
  importCharacter,
  LAYOUT_FIELD,
  readCardFile,
  readPngCard,
  toSillyTavern,
} from "../../core/compat/mod.ts";
import { LodgeError } from "../../core/errors.ts";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import {
  cardChunk,
  cardPngFile,
  characterBook,
  plainPng,
  readCardChunks,
  stCard,
} from "../support/st-fixtures.ts";

function lodge(): Lodge {
  return new Lodge(openSqliteStore(":memory:"));
}

Deno.test("SillyTavern cards", async (t) => {
  await t.step("a V2+V3 PNG: ccv3 is read, the picture keeps its other chunks", async () => {
    const v2 = stCard("Alice");
    const file = await cardPngFile(v2);
    const read = readCardFile(file);
    assert.equal(read.spec, "chara_card_v3");
    assert.equal(read.card.name, "Alice");
    assert.equal(read.card.first_mes, "Hello, I am Alice.");
    assert.deepEqual(read.card.extensions, (v2.data as Record<string, unknown>).extensions);
    assert.equal(read.card.chat, v2.chat);
    assert.equal(read.card.create_date, v2.create_date);
    assert.equal(read.card[LAYOUT_FIELD], undefined, "an ST-written card needs no layout record");
    const names = extractChunks(read.image!).map((c) => c.name);
    assert.deepEqual(names, ["IHDR", "tIME", "IDAT", "IEND"]);
  });

  await t.step("a V2-only PNG reads its chara chunk", async () => {
    const read = readCardFile(await cardPngFile(stCard("Bob"), { v3: false }));
    assert.equal(read.spec, "chara_card_v2");
    assert.equal(read.card.name, "Bob");
  });

  await t.step("export of an untouched import equals the file field for field (chara and ccv3)", async () => {
    const v2 = stCard("Carol", { data: { character_book: characterBook("Carol's Lore") }, custom_top: 7 });
    (v2.data as Record<string, unknown>).custom_data = { a: 1 };
    const read = readCardFile(await cardPngFile(v2));
    const png = await cardPng(read.card, read.image);
    const chunks = readCardChunks(png);
    assert.deepEqual(chunks.chara, v2);
    assert.deepEqual(chunks.ccv3, { ...v2, spec: "chara_card_v3", spec_version: "3.0" });
    assert.deepEqual(JSON.parse(cardJson(read.card)), v2);
    // The picture is the original's: same chunks besides the card ones.
    assert.deepEqual(
      extractChunks(png).filter((c) => c.name !== "tEXt").map((c) => c.name),
      ["IHDR", "tIME", "IDAT", "IEND"],
    );
  });

  await t.step("mirrors that disagree with data come back as they were, until data changes", () => {
    const v2 = stCard("Dana");
    v2.description = "an older description";
    delete v2.creatorcomment;
    v2.avatar = "Dana.png";
    const read = readCardFile(new TextEncoder().encode(JSON.stringify(v2)));
    assert.deepEqual(toSillyTavern(read.card), v2);
    const edited = toSillyTavern({ ...read.card, description: "new" });
    assert.equal(edited.description, "new", "an edit of data takes the mirror along");
    assert.equal((edited.data as Record<string, unknown>).description, "new");
  });

  await t.step("a V1 card becomes V2 fields as SillyTavern converts it", () => {
    const v1 = {
      name: "Eve",
      description: "old style",
      personality: "",
      first_mes: "hi",
      mes_example: "",
      scenario: "",
      creatorcomment: "notes",
      talkativeness: 0.7,
      fav: true,
      tags: "a, b",
      chat: "Eve - 2023-1-1 @00h 00m 00s 000ms",
      create_date: "2023-1-1 @00h 00m 00s 000ms",
    };
    const read = readCardFile(new TextEncoder().encode(JSON.stringify(v1)));
    assert.equal(read.spec, "v1");
    assert.equal(read.card.creator_notes, "notes");
    assert.deepEqual(read.card.tags, ["a", "b"]);
    assert.equal((read.card.extensions as Record<string, unknown>).talkativeness, 0.7);
    const out = toSillyTavern(read.card);
    assert.equal(out.spec, "chara_card_v2");
    assert.equal(out.creatorcomment, "notes");
    assert.equal((out.data as Record<string, unknown>).name, "Eve");
  });

  await t.step("bad files are refused with the reason", async () => {
    const bad = (bytes: Uint8Array, pattern: RegExp) => {
      assert.throws(() => readCardFile(bytes), (e) => e instanceof LodgeError && pattern.test(e.message));
    };
    const png = await cardPngFile(stCard("Fay"));
    const corrupt = png.slice();
    corrupt[40] ^= 0xff; // inside the IHDR/tIME data: its CRC no longer matches
    bad(corrupt, /not a readable PNG/);
    bad(png.slice(0, png.length - 12), /not a readable PNG/); // IEND cut off
    bad(await plainPng(), /no character card/);
    bad(
      await plainPng([pngText.encode("chara", "%%%not base64%%%")]),
      /not base64/,
    );
    bad(await plainPng([pngText.encode("chara", btoa("{nope"))]), /not valid JSON/);
    bad(new TextEncoder().encode("[1,2]"), /not a JSON object/);
  });

  await t.step(
    "import: stored through the character service with its picture; export answers both forms",
    async () => {
      const l = lodge();
      try {
        const v2 = stCard("Gil");
        const file = await cardPngFile(v2);
        const { avatar } = await importCharacter(l, file);
        assert.equal(avatar, "Gil.png");
        assert.equal(l.characters.require(avatar).description, "Gil is a test character.");
        assert.ok(await l.characters.image(avatar));
        const png = await exportCharacter(l.characters, avatar, "png");
        assert.equal(png.type, "image/png");
        assert.deepEqual(readCardChunks(png.body as Uint8Array).chara, v2);
        const json = await exportCharacter(l.characters, avatar, "json");
        assert.deepEqual(JSON.parse(json.body as string), v2);
        // A second import of the same card gets its own avatar, as SillyTavern numbers them.
        assert.equal((await importCharacter(l, file)).avatar, "Gil1.png");
      } finally {
        l.close();
      }
    },
  );

  await t.step("an embedded book becomes a World Info book bound to the card", async () => {
    const l = lodge();
    try {
      const v2 = stCard("Hal", { data: { character_book: characterBook("Hal's Lore") } });
      const { avatar, world } = await importCharacter(l, await cardPngFile(v2));
      assert.equal(world, "Hal's Lore");
      const book = l.worldInfo.get("Hal's Lore")!;
      const entry = (book.entries as Record<string, Record<string, unknown>>)["0"];
      assert.deepEqual(entry.key, ["lantern"]);
      assert.equal(entry.content, "The lantern never goes out.");
      assert.equal(entry.position, 1);
      assert.equal(entry.disable, false);
      assert.deepEqual(book.originalData, characterBook("Hal's Lore"));
      const card = l.characters.require(avatar);
      assert.equal((card.extensions as Record<string, unknown>).world, "Hal's Lore");
      // Another card with a book of the same name does not overwrite the first book.
      const again = await importCharacter(l, await cardPngFile(v2));
      assert.equal(again.world, "Hal's Lore 2");
      // A card already linked to an existing book makes none.
      const linked = stCard("Ivy", {
        data: {
          character_book: characterBook("x"),
          extensions: { world: "Hal's Lore" },
        },
      });
      assert.equal((await importCharacter(l, await cardPngFile(linked))).world, undefined);
    } finally {
      l.close();
    }
  });

  await t.step("a card failing the typed check is refused and nothing is stored", async () => {
    const l = lodge();
    try {
      const before = l.characters.all().length;
      const v2 = stCard("Jo", { data: { tags: "not-an-array" } });
      await assert.rejects(
        () => importCharacter(l, new TextEncoder().encode(JSON.stringify(v2))),
        (e) => e instanceof LodgeError && /tags/.test(e.message),
      );
      assert.equal(l.characters.all().length, before);
    } finally {
      l.close();
    }
  });

  await t.step(
    "a card whose name would leave the data folder is stored under a safe avatar inside it",
    async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "lodge-card-" });
      const l = new Lodge(openSqliteStore(":memory:"), { dataDir });
      try {
        const { avatar } = await importCharacter(l, await cardPngFile(stCard("../../escape")));
        assert.ok(!avatar.includes("/") && !avatar.includes(".."), avatar);
        const files = [...Deno.readDirSync(`${dataDir}/characters`)].map((e) => e.name);
        assert.deepEqual(files, [avatar]);
        assert.deepEqual([...Deno.readDirSync(dataDir)].map((e) => e.name), ["characters"]);
        await assert.rejects(
          () =>
            importCharacter(l, new TextEncoder().encode(JSON.stringify(stCard("x"))), { avatar: "../x.png" }),
          (e) => e instanceof LodgeError && e.kind === "invalid",
        );
      } finally {
        l.close();
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  );

  await t.step("readPngCard takes the first chunk of a keyword", async () => {
    const png = await plainPng([cardChunk("chara", { n: 1 }), cardChunk("chara", { n: 2 })]);
    assert.deepEqual(JSON.parse(readPngCard(png).chara!), { n: 1 });
  });
});
