/**
 * `GET /thumbnail?type=avatar|persona&file=<name>`: SillyTavern's thumbnail route. A character's picture
 * (`type=avatar`, by its avatar file) or a user avatar (`type=persona`) scaled to cover 96×144, as
 * SillyTavern's default thumbnails are, JPEG (PNG when it has transparent pixels). Only for the signed-in
 * page and token holders (the app mounts it behind the auth check); a name that is not a single path
 * component is refused before anything is read.
 *
 * Thumbnails are made once per picture and kept in memory (the newest {@link CACHE_ENTRIES}); each
 * answer carries the picture's digest as `ETag`, so a browser revalidates cheaply and sees a new
 * picture at once.
 * @module
 */

import { Hono } from "hono";
import type { Lodge } from "../../core/lodge.ts";
import { safeName } from "../../core/names.ts";
import { HttpError } from "../errors.ts";
import type { ImageProcessor } from "./processor.ts";
import type { Encoded } from "./resize.ts";

/** SillyTavern's default thumbnail box for avatars and personas. */
export const THUMBNAIL_SIZE = Object.freeze({ width: 96, height: 144 });
/** How many thumbnails are kept. */
export const CACHE_ENTRIES = 1000;

interface Cached extends Encoded {
  digest: string;
}

async function digestOf(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The thumbnail route, to mount at `/thumbnail`. */
export function thumbnails(lodge: Lodge, images: ImageProcessor): Hono {
  const cache = new Map<string, Cached>();
  const making = new Map<string, Promise<Cached>>();
  const source = (type: string, file: string) => {
    if (type === "avatar") return lodge.characters.image(file);
    if (type === "persona") return lodge.images.get("User Avatars", file);
    throw new HttpError(400, 'type must be "avatar" or "persona"');
  };
  const app = new Hono();
  app.get("/", async (c) => {
    const type = c.req.query("type") ?? "";
    const file = safeName(c.req.query("file"), "file");
    const bytes = await source(type, file);
    if (!bytes) return c.json({ error: `no ${type} image ${file}` }, 404);
    const key = `${type}/${file}`;
    const digest = await digestOf(bytes);
    let thumb = cache.get(key);
    if (thumb?.digest !== digest) {
      let pending = making.get(key);
      if (!pending) {
        pending = images.cover(bytes, THUMBNAIL_SIZE.width, THUMBNAIL_SIZE.height, "auto")
          .then((encoded) => ({ ...encoded, digest }))
          .finally(() => making.delete(key));
        making.set(key, pending);
      }
      try {
        thumb = await pending;
      } catch (error) {
        throw new HttpError(422, `${key} cannot be shown: ${(error as Error).message}`);
      }
    }
    // most recently used last; the oldest goes first when full
    cache.delete(key);
    cache.set(key, thumb);
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    const headers = {
      etag: `"${thumb.digest}"`,
      "cache-control": "private, no-cache",
      "x-content-type-options": "nosniff",
    };
    if (c.req.header("if-none-match") === headers.etag) return c.body(null, 304, headers);
    return c.body(thumb.bytes as Uint8Array<ArrayBuffer>, 200, {
      ...headers,
      "content-type": thumb.mediaType,
    });
  });
  return app;
}
