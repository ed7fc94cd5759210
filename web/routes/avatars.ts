/**
 * User avatars (persona images) as SillyTavern's `/api/avatars/get|upload|delete` routes: files in
 * `<data>/User Avatars/`, uploaded as a multipart `avatar` (optionally `overwrite_name`, to replace a
 * persona's picture in place) and stored as 512×768 PNG.
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { Lodge } from "../../core/lodge.ts";
import { safeName } from "../../core/names.ts";
import { readBody, readUpload } from "../body.ts";
import { avatarPng } from "../images/avatars.ts";
import type { ImageProcessor } from "../images/processor.ts";
import { userOnly } from "../route-access.ts";

const FOLDER = "User Avatars";
const Delete = z.object({ avatar: z.string() });

/** A file name for a new upload: SillyTavern's `<time>-<name>.png`. */
function uploadName(original: string): string {
  const base = original.replace(/\.[^.]*$/, "").replace(/[^\p{L}\p{N}_ -]+/gu, "_").slice(0, 100) || "avatar";
  return `${Date.now()}-${base}.png`;
}

/** The user avatar routes, to mount at `/api/avatars`. */
export function avatarsApi(lodge: Lodge, images: ImageProcessor): Hono {
  const app = new Hono();
  app.post(
    "/get",
    userOnly("persona pictures are for the user: no plugin method reads or changes them"),
    async (c) => c.json(await lodge.images.list(FOLDER)),
  );
  app.post(
    "/upload",
    userOnly("persona pictures are for the user: no plugin method reads or changes them"),
    async (c) => {
      const { file, fields } = await readUpload(c, "avatar");
      const name = fields.overwrite_name
        ? safeName(fields.overwrite_name, "overwrite_name")
        : uploadName(file.name);
      await lodge.images.put(FOLDER, name, await avatarPng(images, file));
      return c.json({ path: name });
    },
  );
  app.post(
    "/delete",
    userOnly("persona pictures are for the user: no plugin method reads or changes them"),
    async (c) => {
      const name = safeName((await readBody(c, Delete)).avatar, "avatar");
      if (!await lodge.images.delete(FOLDER, name)) return c.json({ error: `no avatar ${name}` }, 404);
      return c.json({ ok: true });
    },
  );
  return app;
}
