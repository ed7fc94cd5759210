/**
 * Pictures against a real host: a character's picture uploaded (`/api/characters/edit-avatar`) and a
 * persona image (`/api/avatars/upload`) are stored in the data folder as 512×768 PNG; `/thumbnail`
 * serves them as 96×144 thumbnails to token holders only (with an ETag that changes with the picture),
 * refuses names that would leave the folder and files that are no image; duplicate copies the
 * picture, delete removes it.
 */

import assert from "node:assert/strict";
import * as photon from "@cf-wasm/photon";
import { imageInfo } from "../../web/images/resize.ts";
import { request, startTestHost } from "../support/host.ts";

function picture(width: number, height: number, shade: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([shade, (i * 7) % 256, 255 - shade, 255], i * 4);
  const image = new photon.PhotonImage(rgba, width, height);
  try {
    return image.get_bytes_jpeg(85);
  } finally {
    image.free();
  }
}

function form(fields: Record<string, string | Uint8Array>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v as Uint8Array<ArrayBuffer>]), "photo.jpg");
  }
  return f;
}

Deno.test("avatars: upload, store, thumbnail, refuse, duplicate, delete", async (t) => {
  const h = await startTestHost();
  const upload = (path: string, body: FormData) => h.request(path, { method: "POST", rawBody: body });
  const thumb = (query: string, headers: Record<string, string> = { authorization: `Bearer ${h.token}` }) =>
    fetch(`${h.url}/thumbnail?${query}`, { headers });
  try {
    const created = await h.post("/api/characters/create", { name: "Mara" });
    const avatar = created.body.avatar as string;

    let etag = "";
    await t.step("a character's picture: stored as a 512×768 PNG, shown as a 96×144 thumbnail", async () => {
      const res = await upload(
        "/api/characters/edit-avatar",
        form({ avatar: picture(600, 400, 20), avatar_url: avatar }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const stored = await Deno.readFile(`${h.dataDir}/characters/${avatar}`);
      assert.deepEqual(imageInfo(stored), { type: "png", width: 512, height: 768 });
      const got = await thumb(`type=avatar&file=${encodeURIComponent(avatar)}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("content-type"), "image/jpeg");
      assert.deepEqual(imageInfo(new Uint8Array(await got.arrayBuffer())), {
        type: "jpg",
        width: 96,
        height: 144,
      });
      etag = got.headers.get("etag")!;
      assert.ok(etag);
      const again = await thumb(`type=avatar&file=${encodeURIComponent(avatar)}`, {
        authorization: `Bearer ${h.token}`,
        "if-none-match": etag,
      });
      assert.equal(again.status, 304);
      await again.body?.cancel();
    });

    await t.step("a new picture changes the thumbnail and its ETag", async () => {
      const res = await upload(
        "/api/characters/edit-avatar",
        form({ avatar: picture(300, 300, 200), avatar_url: avatar }),
      );
      assert.equal(res.status, 200);
      const got = await thumb(`type=avatar&file=${encodeURIComponent(avatar)}`, {
        authorization: `Bearer ${h.token}`,
        "if-none-match": etag,
      });
      assert.equal(got.status, 200);
      assert.notEqual(got.headers.get("etag"), etag);
      await got.body?.cancel();
    });

    await t.step("a persona image: uploaded, listed, thumbnailed, replaced in place, deleted", async () => {
      const res = await upload("/api/avatars/upload", form({ avatar: picture(200, 300, 90) }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const name = res.body.path as string;
      assert.match(name, /^\d+-photo\.png$/);
      assert.deepEqual((await h.post("/api/avatars/get", {})).body, [name]);
      assert.deepEqual(imageInfo(await Deno.readFile(`${h.dataDir}/User Avatars/${name}`)).width, 512);
      const got = await thumb(`type=persona&file=${encodeURIComponent(name)}`);
      assert.equal(got.status, 200);
      await got.body?.cancel();
      const replaced = await upload(
        "/api/avatars/upload",
        form({ avatar: picture(50, 50, 1), overwrite_name: name }),
      );
      assert.equal(replaced.body.path, name);
      assert.equal((await h.post("/api/avatars/get", {})).body.length, 1);
      assert.equal((await h.post("/api/avatars/delete", { avatar: name })).status, 200);
      assert.equal((await h.post("/api/avatars/delete", { avatar: name })).status, 404);
    });

    await t.step("only for the signed-in: no token, a wrong token, no thumbnail", async () => {
      const query = `type=avatar&file=${encodeURIComponent(avatar)}`;
      const tries: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, {
        cookie: "lodge_session=forged",
      }];
      for (const headers of tries) {
        const res = await thumb(query, headers);
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
    });

    await t.step("names that would leave the folder, unknown types, missing files, non-images", async () => {
      for (const file of ["../token", "..", "a/b.png", "..%2Flodge.db", "%00x"]) {
        const res = await thumb(`type=avatar&file=${file}`);
        assert.equal(res.status, 400, file);
        await res.body?.cancel();
      }
      const wrongType = await thumb("type=../../etc&file=x.png");
      assert.equal(wrongType.status, 400);
      await wrongType.body?.cancel();
      const missing = await thumb("type=persona&file=nobody.png");
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      const text = await upload(
        "/api/characters/edit-avatar",
        form({ avatar: new TextEncoder().encode("<svg onload=alert(1)>"), avatar_url: avatar }),
      );
      assert.equal(text.status, 400);
      assert.match(text.body.error, /not an image/);
      const escape = await upload(
        "/api/avatars/upload",
        form({ avatar: picture(10, 10, 1), overwrite_name: "../x.png" }),
      );
      assert.equal(escape.status, 400);
      assert.deepEqual((await h.post("/api/avatars/get", {})).body, []);
    });

    await t.step("duplicate copies the card and its picture; delete removes the picture", async () => {
      const dup = await h.post("/api/characters/duplicate", { avatar_url: avatar, name: "Mara (copy)" });
      assert.equal(dup.status, 200, JSON.stringify(dup.body));
      const copy = dup.body.avatar as string;
      assert.notEqual(copy, avatar);
      assert.equal((await h.post("/api/characters/get", { avatar_url: copy })).body.name, "Mara (copy)");
      assert.deepEqual(
        await Deno.readFile(`${h.dataDir}/characters/${copy}`),
        await Deno.readFile(`${h.dataDir}/characters/${avatar}`),
      );
      await h.post("/api/characters/delete", { avatar_url: copy });
      const gone = await thumb(`type=avatar&file=${encodeURIComponent(copy)}`);
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
    });
  } finally {
    await h.close();
  }
});

Deno.test("thumbnail route: unauthenticated requests get no image even with a valid name", async () => {
  const h = await startTestHost();
  try {
    const res = await request(h.url, "/thumbnail?type=avatar&file=x.png");
    assert.equal(res.status, 401);
  } finally {
    await h.close();
  }
});

Deno.test("SillyTavern's character form: /api/characters/create takes it and answers the avatar as text", async () => {
  const h = await startTestHost();
  const create = (body: FormData) => h.request("/api/characters/create", { method: "POST", rawBody: body });
  try {
    const body = form({
      ch_name: "Rowan",
      description: "A lighthouse keeper.",
      personality: "Calm",
      first_mes: "The lamp is lit.",
      creator_notes: "notes",
      tags: "sea, calm, ",
      fav: "true",
      talkativeness: "0.7",
      depth_prompt_prompt: "Rowan speaks softly.",
      depth_prompt_depth: "2",
      depth_prompt_role: "user",
      json_data: JSON.stringify({ data: { extensions: { some_plugin: { kept: true } } } }),
      avatar: picture(300, 300, 90),
    });
    body.append("alternate_greetings", "Evening.");
    body.append("alternate_greetings", "Storm tonight.");
    const res = await create(body);
    assert.equal(res.status, 200);
    assert.equal(res.body, "Rowan.png", "the avatar as plain text, as SillyTavern answers");
    const card = (await h.post("/api/characters/get", { avatar_url: "Rowan.png" })).body;
    assert.equal(card.name, "Rowan");
    assert.equal(card.description, "A lighthouse keeper.");
    assert.equal(card.first_mes, "The lamp is lit.");
    assert.equal(card.creator_notes, "notes");
    assert.deepEqual(card.tags, ["sea", "calm"]);
    assert.deepEqual(card.alternate_greetings, ["Evening.", "Storm tonight."]);
    assert.equal(card.data.extensions.fav, true);
    assert.equal(card.data.extensions.talkativeness, "0.7");
    assert.deepEqual(card.data.extensions.depth_prompt, {
      prompt: "Rowan speaks softly.",
      depth: 2,
      role: "user",
    });
    assert.deepEqual(card.data.extensions.some_plugin, { kept: true }, "json_data's fields are kept");
    const image = await h.host.lodge.characters.image("Rowan.png");
    assert.ok(image && imageInfo(image).width === 512, "the form's picture is the card's");

    // nothing is stored for a form without a name or with a picture that is no image
    const before = (await h.post("/api/characters/all", {})).body.length;
    assert.equal((await create(form({ description: "nameless" }))).status, 400);
    assert.equal(
      (await create(form({ ch_name: "Broken", avatar: new TextEncoder().encode("no") }))).status,
      400,
    );
    assert.equal((await h.post("/api/characters/all", {})).body.length, before);
    // the JSON form is still Lodge's own
    assert.equal((await h.post("/api/characters/create", { name: "Json" })).body.avatar, "Json.png");
  } finally {
    await h.close();
  }
});
