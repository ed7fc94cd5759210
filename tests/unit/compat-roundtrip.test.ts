/**
 * SillyTavern folder export and the round trip, at field level: the export of an untouched import has
 * SillyTavern's file names and layout and equals the original files field for field (card chunks, chat
 * lines, groups, books, presets, settings, pictures), and import → export → import loses no field.
 */

import assert from "node:assert/strict";
// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
import {
  exportSillyTavernFolder,
  importChatFile,
  importSillyTavernFolder,
  writeChatFile,
} from "../../core/compat/mod.ts";
import { LodgeError } from "../../core/errors.ts";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { jsonl, readCardChunks, stChatLines, writeStFolder } from "../support/st-fixtures.ts";

/** The integrity token of the fixture group's current chat (kept in the group file). */
const GROUP_INTEGRITY = "aaaaaaaa-0000-4000-8000-000000000002";

function lodge(): Lodge {
  return new Lodge(openSqliteStore(":memory:"));
}

/** Every file under `dir`, relative, sorted. */
async function files(dir: string, base = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${base}`)) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await files(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function lines(text: string): unknown[] {
  return text.split("\n").map((l) => JSON.parse(l));
}

/** Everything a SillyTavern folder holds, as Lodge stores it. */
function snapshot(l: Lodge) {
  return {
    characters: l.store.listCharacters().map((r) => [r.key, r.body]),
    // A group chat's messages here, its header fields below (a header made up for a file without one
    // has the import's time as its date).
    chats: l.chats.list().map((
      c,
    ) => [c.key, c.key.kind === "group" ? l.chats.messages(c.id) : l.chats.get(c.key)])
      .sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0]))),
    // A group chat without a header line keeps its metadata in the group; one the group file does not
    // hold (an earlier chat's) is given an integrity token at import, a new one each time.
    groupChats: l.chats.list({ kind: "group" }).map((c) => {
      const { integrity, ...metadata } = c.metadata;
      const header = c.extra["lodge:header_fields"] !== undefined;
      const token = header || integrity === GROUP_INTEGRITY ? integrity : "";
      return [c.key.file, c.userName, c.characterName, c.extra, token, metadata];
    }).sort(),
    groups: l.characters.groups(),
    worlds: l.worldInfo.names().map((n) => [n, l.worldInfo.get(n)]),
    presets: l.presets.list("openai").map((p) => [p.name, l.presets.getStored(p)]),
    selected: l.presets.getSelected("openai")?.name,
    settings: l.settings.get(),
  };
}

Deno.test("SillyTavern folder export and round trip", async (t) => {
  const source = await Deno.makeTempDir({ prefix: "st-src-" });
  const out = `${await Deno.makeTempDir({ prefix: "st-out-" })}/user`;
  const again = `${await Deno.makeTempDir({ prefix: "st-again-" })}/user`;
  const first = lodge();
  const second = lodge();
  try {
    const folder = await writeStFolder(source);
    await importSillyTavernFolder(first, source);
    const report = await exportSillyTavernFolder(first, out);
    const reportOf = report;

    await t.step("the export has SillyTavern's file names and layout", async () => {
      assert.deepEqual(report.counts, {
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
      const expected = (await files(source))
        .filter((f) => !/^(instruct|QuickReplies|themes)\/|^secrets\.json$|^characters\/Alice\//.test(f))
        .map((f) => f.replace(/^characters\/Cleo\.json$/, "characters/Cleo.png"))
        .sort();
      assert.deepEqual(await files(out), expected);
    });

    await t.step("cards: chara and ccv3 equal the originals field for field", async () => {
      for (const [avatar, card] of Object.entries(folder.cards)) {
        const chunks = readCardChunks(await Deno.readFile(`${out}/characters/${avatar}`));
        assert.deepEqual(chunks.chara, card, `${avatar} chara`);
        assert.deepEqual(
          chunks.ccv3,
          { ...card, spec: "chara_card_v3", spec_version: "3.0" },
          `${avatar} ccv3`,
        );
      }
      const original = extractChunks(await Deno.readFile(`${source}/characters/Alice.png`));
      const exported = extractChunks(await Deno.readFile(`${out}/characters/Alice.png`));
      assert.deepEqual(
        exported.filter((c) => c.name !== "tEXt"),
        original.filter((c) => c.name !== "tEXt"),
        "the picture's own chunks are the original's, byte for byte",
      );
    });

    await t.step(
      "chats, group chats, groups, books, presets, settings, pictures equal the originals",
      async () => {
        for (const path of Object.keys(folder.chats)) {
          const text = await Deno.readTextFile(`${out}/chats/${path}.jsonl`);
          assert.ok(!text.endsWith("\n"), "no newline after the last line, as SillyTavern writes");
          assert.deepEqual(
            lines(text),
            lines(await Deno.readTextFile(`${source}/chats/${path}.jsonl`)),
            path,
          );
        }
        for (const id of Object.keys(folder.groupChats)) {
          const text = await Deno.readTextFile(`${out}/group chats/${id}.jsonl`);
          assert.deepEqual(
            lines(text),
            lines(await Deno.readTextFile(`${source}/group chats/${id}.jsonl`)),
            id,
          );
        }
        for (
          const path of [
            "groups/1714540000000.json",
            "groups/1714580000000.json",
            "worlds/Lanterns.json",
            "worlds/Bram's Lore.json",
            "OpenAI Settings/Warm.json",
            "OpenAI Settings/Cold.json",
            "settings.json",
          ]
        ) {
          assert.deepEqual(
            JSON.parse(await Deno.readTextFile(`${out}/${path}`)),
            JSON.parse(await Deno.readTextFile(`${source}/${path}`)),
            path,
          );
        }
        for (const path of ["User Avatars/robin.png", "backgrounds/library.jpg"]) {
          assert.deepEqual(
            await Deno.readFile(`${out}/${path}`),
            await Deno.readFile(`${source}/${path}`),
            path,
          );
        }
      },
    );

    await t.step("import → export → import loses no field", async () => {
      const report = await importSillyTavernFolder(second, out);
      assert.deepEqual(report.skipped, []);
      assert.deepEqual(snapshot(second), snapshot(first));
      const back = await exportSillyTavernFolder(second, again);
      assert.deepEqual(back.counts, reportOf.counts);
      for (const path of await files(out)) {
        if (path.endsWith(".png") && path.startsWith("characters/")) {
          assert.deepEqual(
            readCardChunks(await Deno.readFile(`${again}/${path}`)),
            readCardChunks(await Deno.readFile(`${out}/${path}`)),
            path,
          );
        } else if (!path.endsWith(".png") && !path.endsWith(".jpg")) {
          assert.equal(
            await Deno.readTextFile(`${again}/${path}`),
            await Deno.readTextFile(`${out}/${path}`),
            path,
          );
        }
      }
    });

    await t.step("secrets.json only when asked, in SillyTavern's flat form", async () => {
      assert.equal((await files(out)).includes("secrets.json"), false);
      await first.secrets.write("api_key_openai", "sk-old-0001");
      await first.secrets.write("api_key_openai", "sk-active-0002");
      await first.secrets.write("api_key_openrouter", "sk-or-0003");
      const asked = `${out}-secrets`;
      try {
        const report = await exportSillyTavernFolder(first, asked, { includeSecrets: true });
        assert.equal(report.counts.secrets, 2);
        const file = `${asked}/secrets.json`;
        assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), {
          api_key_openai: "sk-active-0002",
          api_key_openrouter: "sk-or-0003",
        });
        assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
        const third = lodge();
        try {
          const back = await importSillyTavernFolder(third, asked, { includeSecrets: true });
          assert.equal(back.imported.secrets, 2);
          assert.equal(await third.secrets.resolve("api_key_openai"), "sk-active-0002");
        } finally {
          third.close();
        }
      } finally {
        await Deno.remove(asked, { recursive: true });
      }
      const unasked = `${out}-plain`;
      try {
        const report = await exportSillyTavernFolder(first, unasked);
        assert.equal(report.counts.secrets, 0);
        await assert.rejects(() => Deno.stat(`${unasked}/secrets.json`), Deno.errors.NotFound);
      } finally {
        await Deno.remove(unasked, { recursive: true });
      }
    });

    await t.step("an export never writes over files", async () => {
      await assert.rejects(
        () => exportSillyTavernFolder(first, out),
        (e) => e instanceof LodgeError && /not empty/.test(e.message),
      );
      await assert.rejects(
        () => exportSillyTavernFolder(first, `${out}/settings.json`),
        (e) => e instanceof LodgeError && /not a folder/.test(e.message),
      );
    });
  } finally {
    first.close();
    second.close();
    for (const dir of [source, out, again]) {
      await Deno.remove(dir.replace(/\/user$/, ""), { recursive: true });
    }
  }
});

Deno.test("a full save keeps every field of an imported header line", async () => {
  const l = lodge();
  try {
    const [header, ...messages] = stChatLines("Alice", 3);
    const imported = {
      ...header,
      create_date: "2023-11-2 @09h 15m 00s 000ms",
      extension_header: { by: "an extension", list: [1, 2] },
      note: "kept",
    };
    const key = { kind: "character" as const, owner: "Alice.png", file: "Alice - headers" };
    await importChatFile(l.chats, key, reader(jsonl([imported, ...messages])));
    const target = { avatar_url: "Alice.png", file_name: "Alice - headers" };
    const exportedHeader = async () => {
      const parts: string[] = [];
      await writeChatFile(l.chats, l.chats.require(key), {
        write: (text) => Promise.resolve(void parts.push(text)),
      });
      return JSON.parse(parts.join("").split("\n")[0]);
    };
    const withoutIntegrity = (h: Record<string, unknown>) => ({
      ...h,
      chat_metadata: { ...h.chat_metadata as Record<string, unknown>, integrity: undefined },
    });
    assert.deepEqual(await exportedHeader(), imported, "an untouched import");

    // A full save sending the header line as it was read (the integrity token is renewed by a save).
    const [read] = l.chats.get(target)!;
    l.chats.save(target, [read, ...messages.slice(0, 2)]);
    assert.deepEqual(withoutIntegrity(await exportedHeader()), withoutIntegrity(imported));

    // A client that sends only SillyTavern's three fields loses none of the others.
    l.chats.save(target, [{ user_name: "Robin", character_name: "Alice", chat_metadata: { tainted: true } }]);
    const after = await exportedHeader();
    assert.equal(after.create_date, imported.create_date);
    assert.deepEqual(after.extension_header, imported.extension_header);
    assert.equal(after.note, "kept");
    assert.equal(after.chat_metadata.tainted, true);
    assert.equal(after.chat_metadata.tainted, true);

    // Header fields a save sends are stored: changed, added, and on a chat the save creates.
    const [current] = l.chats.get(target)!;
    l.chats.save(target, [{ ...current, note: "changed", added: { by: "a save" } }]);
    const changed = await exportedHeader();
    assert.equal(changed.note, "changed");
    assert.deepEqual(changed.added, { by: "a save" });
    assert.equal(changed.create_date, imported.create_date);
    const fresh = { avatar_url: "Alice.png", file_name: "Alice - saved new" };
    l.chats.save(fresh, [{ ...imported, chat_metadata: {} }, ...messages]);
    const [saved] = l.chats.get(fresh)!;
    assert.deepEqual(withoutIntegrity(saved), withoutIntegrity({ ...imported, chat_metadata: {} }));

    // A header field SillyTavern types is checked; a bad one changes nothing.
    assert.throws(
      () => l.chats.save(target, [{ user_name: 7, chat_metadata: {} }]),
      (e) => e instanceof LodgeError && e.kind === "invalid" && /user_name/.test(e.message),
    );
    assert.throws(
      () => l.chats.save(target, [{ user_name: "Robin", chat_metadata: "none" }]),
      (e) => e instanceof LodgeError && e.kind === "invalid" && /chat_metadata/.test(e.message),
    );
    assert.equal((await exportedHeader()).note, "changed");
  } finally {
    l.close();
  }
});

/** A byte reader over text, as a file gives one. */
function reader(text: string): { read(buffer: Uint8Array): Promise<number | null> } {
  let rest = new TextEncoder().encode(text);
  return {
    read(buffer) {
      if (rest.length === 0) return Promise.resolve(null);
      const n = Math.min(buffer.length, rest.length);
      buffer.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return Promise.resolve(n);
    },
  };
}
