/**
 * SillyTavern's import and export routes against a real host: `POST /api/characters/import` (multipart
 * PNG or JSON card) and `/export` (PNG with `chara` + `ccv3`, or JSON), `POST /api/chats/import` (JSONL),
 * `POST /api/chats/group/import` (a group chat) and `POST /api/worldinfo/import` (a book), with bad files
 * refused and nothing stored.
 */

import assert from "node:assert/strict";
// @ts-types="@types/png-chunks-extract"
import extractChunks from "png-chunks-extract";
// @ts-types="@types/png-chunk-text"
import * as pngText from "png-chunk-text";
import { startTestHost } from "../support/host.ts";
import { cardPngFile, characterBook, stCard } from "../support/st-fixtures.ts";

function form(fields: Record<string, string | Blob>, fileName = "upload"): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Blob) f.append(k, v, fileName);
    else f.append(k, v);
  }
  return f;
}

Deno.test("SillyTavern import/export routes", async (t) => {
  const h = await startTestHost();
  const upload = (path: string, body: FormData) => h.request(path, { method: "POST", rawBody: body });
  try {
    const v2 = stCard("Mira", { data: { character_book: characterBook("Mira's Lore") } });

    await t.step("characters/import: a PNG card is created with its book bound", async () => {
      const png = await cardPngFile(v2);
      const res = await upload(
        "/api/characters/import",
        form({ avatar: new Blob([png as Uint8Array<ArrayBuffer>]), file_type: "png" }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.file_name, "Mira");
      assert.equal(res.body.avatar, "Mira.png");
      assert.equal(res.body.world, "Mira's Lore");
      const got = await h.post("/api/characters/get", { avatar_url: "Mira.png" });
      assert.equal(got.body.data.first_mes, "Hello, I am Mira.");
      assert.equal(got.body.data.extensions.world, "Mira's Lore");
      const book = await h.post("/api/worldinfo/get", { name: "Mira's Lore" });
      assert.deepEqual(book.body.entries["0"].key, ["lantern"]);
    });

    await t.step("characters/export: PNG with chara (V2) and ccv3 (V3); JSON is the V2 object", async () => {
      const res = await fetch(`${h.url}/api/characters/export`, {
        method: "POST",
        headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
        body: JSON.stringify({ avatar_url: "Mira.png", format: "png" }),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      const chunks = extractChunks(new Uint8Array(await res.arrayBuffer()))
        .filter((c) => c.name === "tEXt").map((c) => pngText.decode(c.data));
      assert.deepEqual(chunks.map((c) => c.keyword), ["chara", "ccv3"]);
      const decode = (text: string) => JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(text)));
      const chara = decode(chunks[0].text);
      assert.equal(chara.spec, "chara_card_v2");
      assert.equal(decode(chunks[1].text).spec, "chara_card_v3");
      // The binding the import made is the one field that differs from the file.
      const expected = structuredClone(v2) as { data: { extensions: Record<string, unknown> } };
      expected.data.extensions.world = "Mira's Lore";
      assert.deepEqual(chara, expected);
      const json = await h.post("/api/characters/export", { avatar_url: "Mira.png", format: "json" });
      assert.deepEqual(json.body, expected);
      const missing = await h.post("/api/characters/export", { avatar_url: "Nobody.png", format: "png" });
      assert.equal(missing.status, 404);
    });

    await t.step("characters/import: a JSON card; a bad file is refused and adds nothing", async () => {
      const before = (await h.post("/api/characters/all", {})).body.length;
      const json = new Blob([JSON.stringify(stCard("Nell"))]);
      const res = await upload("/api/characters/import", form({ avatar: json, file_type: "json" }));
      assert.equal(res.status, 200);
      assert.equal(res.body.avatar, "Nell.png");
      const bad = await upload(
        "/api/characters/import",
        form({ avatar: new Blob([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0])]) }),
      );
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /not a readable PNG/);
      const noFile = await upload("/api/characters/import", form({ file_type: "png" }));
      assert.equal(noFile.status, 400);
      assert.equal((await h.post("/api/characters/all", {})).body.length, before + 1);
    });

    await t.step(
      "characters/import: a card without a name is refused (400) and nothing is stored",
      async () => {
        const before = (await h.post("/api/characters/all", {})).body.length;
        const worlds = h.host.lodge.worldInfo.names();
        const nameless = stCard("Gone", { data: { character_book: characterBook("Gone's Lore") } });
        delete (nameless as { name?: string }).name;
        delete (nameless.data as { name?: string }).name;
        const files: [Blob, string][] = [
          [new Blob(["{}"]), "json"],
          [new Blob([JSON.stringify({ description: "no name" })]), "json"],
          [new Blob([await cardPngFile(nameless) as Uint8Array<ArrayBuffer>]), "png"],
          [new Blob([await cardPngFile(stCard("  "), { v3: false }) as Uint8Array<ArrayBuffer>]), "png"],
        ];
        for (const [file, type] of files) {
          const res = await upload("/api/characters/import", form({ avatar: file, file_type: type }));
          assert.equal(res.status, 400, JSON.stringify(res.body));
          assert.match(res.body.message, /the card has no name/);
        }
        assert.equal((await h.post("/api/characters/all", {})).body.length, before);
        assert.deepEqual(h.host.lodge.worldInfo.names(), worlds, "no embedded book was kept");
      },
    );

    await t.step(
      "chats/import: a JSONL chat with swipes and unknown fields is stored as it was",
      async () => {
        const header = {
          user_name: "You",
          character_name: "Mira",
          create_date: "2024-5-1 @10h 00m 00s 000ms",
          chat_metadata: { note_prompt: "", tainted: false },
        };
        const messages = [
          {
            name: "Mira",
            is_user: false,
            mes: "Hello",
            swipes: ["Hello", "Hi"],
            swipe_id: 0,
            swipe_info: [{}, {}],
            extra: {},
            custom: 1,
          },
          {
            name: "You",
            is_user: true,
            mes: "hey",
            send_date: "2024-5-1 @10h 01m 00s 000ms",
            extra: { bias: null },
          },
        ];
        const text = [header, ...messages].map((l) => JSON.stringify(l)).join("\n");
        const res = await upload(
          "/api/chats/import",
          form({
            avatar: new Blob([text]),
            file_type: "jsonl",
            avatar_url: "Mira.png",
            character_name: "Mira",
          }),
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.res, true);
        assert.match(res.body.file_name, /^Mira - \d{4}-\d+-\d+ @\d\dh \d\dm \d\ds \d+ms imported$/);
        const chat = await h.post("/api/chats/get", {
          avatar_url: "Mira.png",
          file_name: res.body.file_name,
        });
        assert.deepEqual(chat.body.slice(1), messages);
        assert.equal(chat.body[0].create_date, header.create_date);
        assert.equal(chat.body[0].chat_metadata.note_prompt, "");
        const bad = await upload(
          "/api/chats/import",
          form({ avatar: new Blob(['{"mes":"no header"}']), avatar_url: "Mira.png" }),
        );
        assert.equal(bad.status, 400);
      },
    );

    await t.step("chats/group/import: a headerless group chat into a group, as it was", async () => {
      const group = (await h.post("/api/groups/create", { name: "Club", members: ["Mira.png"] })).body;
      const messages = [
        { name: "Mira", is_user: false, mes: "Welcome", swipes: ["Welcome"], swipe_id: 0, extra: {}, x: 1 },
        { name: "You", is_user: true, mes: "thanks", extra: { bias: null } },
      ];
      const res = await upload(
        "/api/chats/group/import",
        form({ avatar: new Blob([messages.map((m) => JSON.stringify(m)).join("\n")]), group_id: group.id }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.res, /^\d{4}-\d+-\d+ @\d\dh \d\dm \d\ds \d+ms$/);
      assert.equal(res.body.messages, 2);
      const chat = await h.post("/api/chats/group/get", { id: res.body.res });
      assert.deepEqual(chat.body.slice(1), messages);
      assert.equal(chat.body[0].character_name, "Club");
      const after = (await h.post("/api/groups/all", {})).body.find((g: { id: string }) => g.id === group.id);
      assert.deepEqual(after.chats, [group.chat_id, res.body.res]);
      assert.equal(after.chat_id, group.chat_id, "the group's current chat stays");

      // Without group_id the chat is stored alone (SillyTavern's client lists it in its group).
      const alone = await upload(
        "/api/chats/group/import",
        form({
          avatar: new Blob(['{"user_name":"You","chat_metadata":{"scene":2}}\n{"name":"A","mes":"hi"}']),
        }),
      );
      assert.equal(alone.status, 200, JSON.stringify(alone.body));
      const stored = (await h.post("/api/chats/group/get", { id: alone.body.res })).body;
      assert.equal(stored[0].chat_metadata.scene, 2);
      assert.deepEqual(stored.slice(1), [{ name: "A", mes: "hi" }]);

      const before = (await h.post("/api/chats/group/recent", { max: 1000 })).body.length;
      const missing = await upload(
        "/api/chats/group/import",
        form({ avatar: new Blob(['{"mes":"x"}']), group_id: "no-such-group" }),
      );
      assert.equal(missing.status, 404);
      const bad = await upload("/api/chats/group/import", form({ avatar: new Blob(['{"user_name":7}']) }));
      assert.equal(bad.status, 400);
      assert.equal((await h.post("/api/chats/group/recent", { max: 1000 })).body.length, before);
    });

    await t.step("worldinfo/import: the book is named after the file", async () => {
      const book = { entries: { "0": { uid: 0, key: ["moon"], content: "The moon is near." } } };
      const res = await upload(
        "/api/worldinfo/import",
        form({ avatar: new Blob([JSON.stringify(book)]) }, "Moon Lore.json"),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { name: "Moon Lore" });
      assert.deepEqual((await h.post("/api/worldinfo/get", { name: "Moon Lore" })).body, book);
      const bad = await upload("/api/worldinfo/import", form({ avatar: new Blob(["{}"]) }, "Empty.json"));
      assert.equal(bad.status, 400);
      assert.equal((await h.post("/api/worldinfo/get", { name: "Empty" })).status, 404);
    });
  } finally {
    await h.close();
  }
});
