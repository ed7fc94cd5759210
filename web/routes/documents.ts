/**
 * Settings and world info routes: `/api/settings/get|save|patch` and
 * `/api/worldinfo/get|get-batch|edit|patch|save|delete|import` (`save` is patch-first: `{ name, operations }`
 * applies RFC 6902 ops, `{ name, data }` stores the whole book, both falls back to `data`).
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { invalid, LodgeError, notFound } from "../../core/errors.ts";
import { isObject } from "../../core/json.ts";
import type { Lodge } from "../../core/lodge.ts";
import { fileSafe, safeName } from "../../core/names.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { readBody, readUpload } from "../body.ts";
import { runs, userOnly } from "../route-access.ts";

const Ops = z.object({ operations: PatchOpsSchema });
const Entries = z.object({ entries: z.record(z.string(), z.unknown()) }).loose();
const Name = z.object({ name: z.string() });
const Edit = Name.extend({ data: Entries });
const Patch = Name.extend(Ops.shape);
/** Patch-first: `operations` when given, `data` (the whole book) otherwise or as the fallback. */
const Save = Name.extend({ operations: PatchOpsSchema.optional(), data: Entries.optional() });

/** Settings routes, to mount at `/api/settings`. */
export function settingsApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/get", runs("settings.get"), (c) =>
    c.json({
      settings: JSON.stringify(lodge.settings.get()),
      world_names: lodge.worldInfo.names(),
    }));
  const SaveBody = z.record(z.string(), z.unknown());
  app.post("/save", runs("settings.save"), async (c) => {
    await lodge.settings.save(await readBody(c, SaveBody));
    return c.json({ ok: true });
  });
  app.post("/patch", runs("settings.patch"), async (c) => {
    await lodge.settings.patch((await readBody(c, Ops)).operations);
    return c.json({ ok: true });
  });
  return app;
}

/** World info routes, to mount at `/api/worldinfo`. */
export function worldInfoApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/get", runs("loadWorldInfo"), async (c) => {
    const { name } = await readBody(c, Name);
    const data = lodge.worldInfo.get(name);
    if (!data) throw notFound(`world info ${name} not found`);
    return c.json(data);
  });
  const GetBatchBody = z.object({ names: z.array(z.string()).max(1000) });
  app.post("/get-batch", runs("loadWorldInfoBatch"), async (c) => {
    const { names } = await readBody(c, GetBatchBody);
    return c.json(lodge.worldInfo.getBatch(names));
  });
  // SillyTavern's book import: a multipart `avatar` file named after the book (`<name>.json`), or its
  // `convertedData` text; a book of that name is replaced, as SillyTavern writes over the file.
  app.post("/import", userOnly("it takes an uploaded file, which plugins do not send"), async (c) => {
    const { file, fields } = await readUpload(c, "avatar");
    const name = safeName(fileSafe(file.name.replace(/\.[^.]*$/, ""), ""), "world name");
    let data: unknown;
    try {
      data = JSON.parse(fields.convertedData ?? await file.text());
    } catch {
      throw invalid("is not a valid world info file (not JSON)");
    }
    if (!isObject(data) || !isObject(data.entries)) {
      throw invalid("is not a valid world info file (no entries object)");
    }
    await lodge.worldInfo.save(name, data);
    return c.json({ name });
  });
  app.post("/edit", runs("saveWorldInfo"), async (c) => {
    const b = await readBody(c, Edit);
    await lodge.worldInfo.save(b.name, b.data);
    return c.json({ ok: true });
  });
  app.post("/patch", runs("patchWorldInfo"), async (c) => {
    const b = await readBody(c, Patch);
    await lodge.worldInfo.patch(b.name, b.operations);
    return c.json({ ok: true });
  });
  app.post("/save", runs("saveWorldInfo", "patchWorldInfo"), async (c) => {
    const b = await readBody(c, Save);
    if (b.operations) {
      try {
        await lodge.worldInfo.patch(b.name, b.operations);
        return c.json({ ok: true });
      } catch (error) {
        // A book that is not there, or differs from what the ops expect, takes the whole copy if sent.
        const stale = error instanceof LodgeError &&
          (error.kind === "not_found" || error.kind === "conflict");
        if (!b.data || !stale) throw error;
      }
    }
    if (!b.data) throw invalid("expected operations (RFC 6902 ops on the book) or data (the whole book)");
    await lodge.worldInfo.save(b.name, b.data);
    return c.json({ ok: true });
  });
  app.post("/delete", userOnly("it deletes a world book, which no plugin method does"), async (c) => {
    lodge.worldInfo.delete((await readBody(c, Name)).name);
    return c.json({ ok: true });
  });
  return app;
}
