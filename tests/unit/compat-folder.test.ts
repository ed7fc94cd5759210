/**
 * Importing a SillyTavern 1.12 user folder the tests build in SillyTavern's exact formats: what lands
 * where, field for field; a second run adds nothing; secrets only when asked; folders Lodge does not
 * model reported; bad files (a broken PNG, a truncated JSONL line, a name that would leave the folder, a
 * value failing the typed check) reported and skipped with nothing else lost.
 */

import assert from "node:assert/strict";
import { type ImportReport, importSillyTavernFolder } from "../../core/compat/mod.ts";
import { toSillyTavern } from "../../core/compat/mod.ts";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { eventTypes } from "../../core/event-types.ts";
import { cardPngFile, jsonl, put, stCard, stChatLines, writeStFolder } from "../support/st-fixtures.ts";

function lodge(): Lodge {
  return new Lodge(openSqliteStore(":memory:"));
}

function reasons(report: ImportReport): Record<string, string> {
  return Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
}

Deno.test("SillyTavern folder import", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "st-folder-" });
  const l = lodge();
  try {
    const folder = await writeStFolder(dir);
    const progress: unknown[] = [];
    l.events.on(eventTypes.IMPORT_PROGRESS, (p) => void progress.push(p));
    const report = await importSillyTavernFolder(l, dir);

    await t.step("the report counts every kind and lists what was not imported", () => {
      assert.deepEqual(report.imported, {
        characters: 3,
        chats: 3,
        groupChats: 3,
        groups: 2,
        worlds: 2,
        presets: 2,
        settings: 1,
        images: 2,
        secrets: 0,
      });
      const why = reasons(report);
      assert.match(why["instruct"], /instruct templates/);
      assert.match(why["QuickReplies"], /Quick Reply/);
      assert.match(why["themes"], /themes/);
      assert.match(why["secrets.json"], /includeSecrets/);
      assert.match(why["characters/Alice"], /expression sprites/);
      assert.equal(report.skipped.length, 5, JSON.stringify(report.skipped));
      assert.ok(progress.length >= 10, "import_progress events were emitted");
    });

    await t.step("cards are stored field for field (their export equals the file)", async () => {
      for (const [avatar, card] of Object.entries(folder.cards)) {
        const stored = l.store.getCharacter(avatar)!;
        assert.deepEqual(toSillyTavern(stored), card, avatar);
      }
      assert.ok(await l.characters.image("Alice.png"), "the PNG's picture is kept");
      assert.equal(await l.characters.image("Cleo.png"), null, "a JSON card has no picture");
      // Bram's embedded book is linked to an existing book: no new book is made.
      assert.deepEqual(l.worldInfo.names().sort(), ["Bram's Lore", "Lanterns"]);
    });

    await t.step("chats keep their header line and every message field", () => {
      for (const [path, lines] of Object.entries(folder.chats)) {
        const [owner, file] = path.split("/");
        const chat = l.chats.get({ kind: "character", owner: `${owner}.png`, file })!;
        assert.deepEqual(chat, lines, path);
      }
    });

    await t.step(
      "groups and their chats, with the metadata SillyTavern keeps in the group or a header line",
      () => {
        const group = l.characters.group("1714540000000")!;
        assert.equal(group.name, "Reading Club");
        for (const [id, lines] of Object.entries(folder.groupChats)) {
          const chat = l.chats.find({ kind: "group", owner: "", file: id })!;
          const headed = "chat_metadata" in lines[0];
          assert.deepEqual(l.chats.messages(chat.id), headed ? lines.slice(1) : lines, id);
          if (headed) assert.deepEqual(chat.metadata, lines[0].chat_metadata, `${id}: the header's metadata`);
        }
        const current = l.chats.find({ kind: "group", owner: "", file: "1714560000000" })!;
        assert.equal(current.metadata.integrity, "aaaaaaaa-0000-4000-8000-000000000002");
        const older = l.chats.find({ kind: "group", owner: "", file: "1714550000000" })!;
        assert.equal(older.metadata.note_prompt, "older");
      },
    );

    await t.step("books, presets, settings, pictures", async () => {
      const book = l.worldInfo.get("Lanterns")!;
      assert.equal(
        JSON.parse(await Deno.readTextFile(`${dir}/worlds/Lanterns.json`)).entries["0"].content,
        (book.entries as Record<string, Record<string, unknown>>)["0"].content,
      );
      assert.deepEqual(book, JSON.parse(await Deno.readTextFile(`${dir}/worlds/Lanterns.json`)));
      assert.deepEqual(
        l.presets.getStored({ collection: "openai", name: "Warm" }),
        JSON.parse(await Deno.readTextFile(`${dir}/OpenAI Settings/Warm.json`)),
      );
      assert.equal(l.presets.getSelected("openai")?.name, "Warm", "the selected preset is selected");
      const settings = l.settings.get();
      const st = JSON.parse(await Deno.readTextFile(`${dir}/settings.json`));
      for (const key of Object.keys(st)) assert.deepEqual(settings[key], st[key], key);
      assert.deepEqual(
        (settings.world_info_settings as { world_info: unknown }).world_info,
        { globalSelect: ["Lanterns"] },
      );
      assert.ok(await l.images.get("User Avatars", "robin.png"));
      assert.deepEqual(
        await l.images.get("backgrounds", "library.jpg"),
        new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
      );
    });

    await t.step("a second run adds nothing", async () => {
      const before = {
        chars: l.characters.all().length,
        chats: l.chats.list().length,
        worlds: l.worldInfo.names(),
      };
      const again = await importSillyTavernFolder(l, dir);
      assert.deepEqual(Object.values(again.imported), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(again.skipped.length, 5, JSON.stringify(again.skipped));
      assert.equal(l.characters.all().length, before.chars);
      assert.equal(l.chats.list().length, before.chats);
      assert.deepEqual(l.worldInfo.names(), before.worlds);
    });

    await t.step("secrets only with includeSecrets, once", async () => {
      const withSecrets = await importSillyTavernFolder(l, dir, { includeSecrets: true });
      assert.equal(withSecrets.imported.secrets, 1);
      assert.equal(await l.secrets.resolve("api_key_openai"), "sk-test-imported-0001");
      const twice = await importSillyTavernFolder(l, dir, { includeSecrets: true });
      assert.equal(twice.imported.secrets, 0);
      assert.equal((await l.secrets.list()).length, 1);
    });
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SillyTavern folder import: one bad file never fails the rest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "st-bad-" });
  const l = lodge();
  try {
    const good = await cardPngFile(stCard("Good"));
    await put(dir, "characters/Good.png", good);
    const broken = good.slice(0, 60); // cut inside: no IEND
    await put(dir, "characters/Broken.png", broken);
    await put(dir, "characters/NoCard.png", (await cardPngFile(stCard("x"))).slice(0, 0));
    await put(
      dir,
      "characters/Typed.json",
      JSON.stringify(stCard("Typed", { data: { alternate_greetings: "one" } })),
    );
    await put(dir, "characters/Dot..png", good); // a name with ".." is refused as a storage key
    await put(dir, "characters/Empty.json", "{}");
    const nameless = stCard("x");
    delete (nameless as { name?: string }).name;
    delete (nameless.data as { name?: string }).name;
    await put(dir, "characters/Nameless.png", await cardPngFile(nameless));
    await put(dir, "characters/notes.txt", "hello");
    const lines = stChatLines("Good", 5);
    const text = jsonl(lines);
    // A truncated line in the middle, and one message failing its typed check.
    const cut = text.split("\n");
    cut[2] = cut[2].slice(0, 20);
    cut.splice(4, 0, JSON.stringify({ name: "Good", mes: 12345 }));
    await put(dir, "chats/Good/Good - cut.jsonl", cut.join("\n"));
    await put(dir, "chats/Good/Good - fine.jsonl", text);
    await put(dir, "chats/Good/headless.jsonl", "");
    await put(dir, "chats/Missing/Missing - 1.jsonl", text);
    await put(dir, "worlds/Bad.json", "{ not json");
    await put(dir, "worlds/NoEntries.json", "{}");
    await put(dir, "OpenAI Settings/Bad.json", JSON.stringify({ temperature: "hot" }));
    await put(dir, "settings.json", "[]");
    await Deno.symlink("/etc/hostname", `${dir}/characters/Link.png`);

    const report = await importSillyTavernFolder(l, dir);
    const why = reasons(report);
    assert.equal(report.imported.characters, 1);
    assert.ok(l.characters.get("Good.png"));
    assert.match(why["characters/Broken.png"], /not a readable PNG/);
    assert.match(why["characters/NoCard.png"], /not valid JSON/);
    assert.match(why["characters/Typed.json"], /alternate_greetings/);
    assert.match(why["characters/Dot..png"], /must not contain/);
    assert.match(why["characters/Empty.json"], /the card has no name/);
    assert.match(why["characters/Nameless.png"], /the card has no name/);
    assert.equal(l.characters.get("Empty.png"), null);
    assert.equal(l.characters.get("Nameless.png"), null);
    assert.match(why["characters/notes.txt"], /not a PNG or JSON/);
    assert.match(why["characters/Link.png"], /links are not followed/);
    assert.equal(report.imported.chats, 2, JSON.stringify(report.skipped));
    assert.match(why["chats/Good/Good - cut.jsonl:3"], /not JSON/);
    assert.match(why["chats/Good/Good - cut.jsonl:5"], /mes/);
    const cutChat = l.chats.get({ kind: "character", owner: "Good.png", file: "Good - cut" })!;
    assert.equal(cutChat.length, lines.length - 1, "the other lines were all kept");
    assert.match(why["chats/Good/headless.jsonl"], /empty/);
    assert.equal(l.chats.find({ kind: "character", owner: "Good.png", file: "headless" }), null);
    assert.match(why["chats/Missing"], /no character Missing\.png/);
    assert.match(why["worlds/Bad.json"], /not valid JSON/);
    assert.match(why["worlds/NoEntries.json"], /no entries/);
    assert.match(why["OpenAI Settings/Bad.json"], /temperature/);
    assert.match(why["settings.json"], /not a JSON object/);
    assert.deepEqual(l.worldInfo.names(), []);
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});
