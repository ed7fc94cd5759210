/**
 * SillyTavern folder export and the round trip, at field level: the export of an untouched import has
 * SillyTavern's file names and layout and equals the original files field for field (card chunks, chat
 * lines, groups, books, presets, settings, pictures), and import → export → import loses no field.
 */

import assert from "node:assert/strict";
// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
import { exportSillyTavernFolder, importSillyTavernFolder } from "../../core/compat/mod.ts";
import { LodgeError } from "../../core/errors.ts";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { readCardChunks, writeStFolder } from "../support/st-fixtures.ts";

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
    // A group chat's file has no header: what SillyTavern stores of it is its messages (its metadata is
    // in the group).
    chats: l.chats.list().map((
      c,
    ) => [c.key, c.key.kind === "group" ? l.chats.messages(c.id) : l.chats.get(c.key)])
      .sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0]))),
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
        groupChats: 2,
        groups: 1,
        worlds: 2,
        presets: 2,
        settings: 1,
        images: 2,
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
