/**
 * Character routes: `/api/characters/all|get|create|edit|edit-avatar|duplicate|delete|chats|import|export`
 * and character state.
 * @module
 */

import { type Context, Hono } from "hono";
import { z } from "zod";
import { cardFromForm, exportCharacter, fromSillyTavern, importCharacter } from "../../core/compat/mod.ts";
import type { Lodge } from "../../core/lodge.ts";
import { safeName } from "../../core/names.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { type CardFields, CardFieldsSchema } from "../../core/schema/mod.ts";
import { readBody, readForm, readUpload } from "../body.ts";
import { HttpError } from "../errors.ts";
import { avatarPng } from "../images/avatars.ts";
import type { ImageProcessor } from "../images/processor.ts";
import { checkStateNamespace, runs, userOnly } from "../route-access.ts";

const Avatar = z.object({ avatar_url: z.string() });
const Create = CardFieldsSchema.extend({ avatar_url: z.string().optional() });
/**
 * Lodge's optional `test`: RFC 6902 test ops against the card as read, so an editor's save is refused
 * (409) instead of overwriting a change made elsewhere meanwhile.
 */
const Edit = CardFieldsSchema.partial().extend({
  ...Avatar.shape,
  test: PatchOpsSchema.max(1000).optional(),
});
/** Why plugins may not call the routes that are not theirs (shown in the refusal). */
const EDITS = "it creates, edits or deletes characters, which no plugin method does (writeExtensionField " +
  "sets a card's extension data)";
const UPLOAD = "it takes an uploaded file, which plugins do not send";
const EXPORT = "exports are for the user";

/** Character routes, to mount at `/api/characters`. */
export function charactersApi(lodge: Lodge, images: ImageProcessor): Hono {
  const app = new Hono();
  const avatar = (b: { avatar_url: string }) => safeName(b.avatar_url, "avatar_url");

  app.post("/all", runs("getContext"), (c) => c.json(lodge.characters.all()));
  app.post(
    "/get",
    runs("getContext"),
    async (c) => c.json(lodge.characters.require(avatar(await readBody(c, Avatar)))),
  );
  app.post("/create", userOnly(EDITS), async (c) => {
    // SillyTavern's client posts a form (`ch_name`, ..., an `avatar` picture) and reads the avatar as text
    if (c.req.header("content-type")?.startsWith("multipart/form-data")) {
      const { file, fields } = await readForm(c, "avatar");
      const card = fromSillyTavern(cardFromForm(fields));
      if (typeof card.name !== "string" || card.name.trim() === "") {
        throw new HttpError(400, "ch_name is required");
      }
      const picture = file ? await avatarPng(images, file) : null;
      const created = lodge.characters.create(card as CardFields, undefined, { asIs: true });
      if (picture) await lodge.characters.setImage(created.avatar, picture);
      return c.text(created.avatar);
    }
    const b = await readBody(c, Create);
    const { avatar_url, ...fields } = b;
    const created = lodge.characters.create(fields, avatar_url);
    return c.json({ ok: true, avatar: created.avatar });
  });
  app.post("/edit", userOnly(EDITS), async (c) => {
    const b = await readBody(c, Edit);
    const { avatar_url, test, ...fields } = b;
    const character = await lodge.characters.edit(avatar({ avatar_url }), fields, { test });
    return c.json({ ok: true, character });
  });
  // SillyTavern's picture upload: a multipart `avatar` image and the card's `avatar_url`; stored as a
  // 512×768 PNG, the card's picture.
  app.post("/edit-avatar", userOnly(UPLOAD), async (c) => {
    const { file, fields } = await readUpload(c, "avatar");
    const name = safeName(fields.avatar_url, "avatar_url");
    lodge.characters.require(name);
    await lodge.characters.setImage(name, await avatarPng(images, file));
    return c.json({ ok: true });
  });
  // SillyTavern's duplicate (same card and picture under a new avatar); `name` renames the copy.
  const DuplicateBody = Avatar.extend({ name: CardFieldsSchema.shape.name.optional() });
  app.post("/duplicate", userOnly(EDITS), async (c) => {
    const b = await readBody(c, DuplicateBody);
    const copy = await lodge.characters.duplicate(avatar(b), b.name ? { name: b.name } : {});
    return c.json({ ok: true, path: copy.avatar, avatar: copy.avatar });
  });
  const DeleteBody = Avatar.extend({ delete_chats: z.boolean().optional() });
  app.post("/delete", userOnly(EDITS), async (c) => {
    const b = await readBody(c, DeleteBody);
    const name = avatar(b);
    lodge.characters.require(name);
    return c.json({ ok: await lodge.characters.delete(name, { deleteChats: b.delete_chats }) });
  });

  // SillyTavern's card import: a multipart `avatar` file (PNG or JSON card); `preserved_name` asks for
  // that avatar. Answers SillyTavern's `file_name` (the avatar without `.png`).
  app.post("/import", userOnly(UPLOAD), async (c) => {
    const { file, fields } = await readUpload(c, "avatar");
    const preserved = fields.preserved_name?.replace(/\.[^.]*$/, "");
    const imported = await importCharacter(lodge, await file.bytes(), {
      avatar: preserved ? safeName(`${preserved}.png`, "preserved_name") : undefined,
    });
    return c.json({ file_name: imported.avatar.replace(/\.png$/, ""), ...imported });
  });

  const ExportBody = Avatar.extend({ format: z.enum(["png", "json"]) });
  app.post("/export", userOnly(EXPORT), async (c) => {
    const b = await readBody(c, ExportBody);
    const name = avatar(b);
    const { body, type } = await exportCharacter(lodge.characters, name, b.format);
    const file = b.format === "png" ? name : name.replace(/\.png$/, "") + ".json";
    return c.body(body as Uint8Array<ArrayBuffer> | string, 200, {
      "content-type": type,
      "content-disposition": `attachment; filename="${encodeURIComponent(file)}"`,
    });
  });

  // SillyTavern's list of a character's chats, newest first (`chat_items` is its name for the count).
  app.post("/chats", runs("getContext"), async (c) => {
    const name = avatar(await readBody(c, Avatar));
    lodge.characters.require(name);
    return c.json(
      lodge.chats.list({ kind: "character", owner: name }).map((chat) => ({
        file_name: chat.key.file,
        chat_items: chat.messageCount,
        message_count: chat.messageCount,
        last_mes: chat.updatedAt,
      })),
    );
  });

  const State = Avatar.extend({ namespace: z.string() });
  const checked = <B extends { namespace: string }>(c: Context, b: B, write: boolean): B => {
    checkStateNamespace(c, lodge, b.namespace, write);
    return b;
  };
  app.post("/state/get", runs("getCharacterState"), async (c) => {
    const b = checked(c, await readBody(c, State), false);
    return c.json({ ok: true, data: lodge.characterState.get(avatar(b), b.namespace) });
  });
  const StateSetBody = State.extend({ data: z.record(z.string(), z.unknown()).nullable() });
  app.post("/state/set", runs("setCharacterState"), async (c) => {
    const b = checked(c, await readBody(c, StateSetBody), true);
    return c.json(lodge.characterState.set(avatar(b), b.namespace, b.data));
  });
  const StatePatchBody = State.extend({ operations: PatchOpsSchema });
  app.post("/state/patch", runs("setCharacterState"), async (c) => {
    const b = checked(c, await readBody(c, StatePatchBody), true);
    const { data: _data, ...result } = lodge.characterState.patch(avatar(b), b.namespace, b.operations);
    return c.json(result);
  });
  app.post("/state/delete", runs("setCharacterState"), async (c) => {
    const b = checked(c, await readBody(c, State), true);
    return c.json(lodge.characterState.delete(avatar(b), b.namespace));
  });
  return app;
}
