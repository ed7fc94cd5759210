/**
 * Settings and world info routes: `/api/settings/get|save|patch` and
 * `/api/worldinfo/get|get-batch|edit|patch|delete`.
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "../../core/errors.ts";
import type { Lodge } from "../../core/lodge.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { readBody } from "../body.ts";

const Ops = z.object({ operations: PatchOpsSchema });
const Entries = z.object({ entries: z.record(z.string(), z.unknown()) }).loose();

/** Settings routes, to mount at `/api/settings`. */
export function settingsApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/get", (c) =>
    c.json({
      settings: JSON.stringify(lodge.settings.get()),
      world_names: lodge.worldInfo.names(),
    }));
  app.post("/save", async (c) => {
    await lodge.settings.save(await readBody(c, z.record(z.string(), z.unknown())));
    return c.json({ ok: true });
  });
  app.post("/patch", async (c) => {
    await lodge.settings.patch((await readBody(c, Ops)).operations);
    return c.json({ ok: true });
  });
  return app;
}

/** World info routes, to mount at `/api/worldinfo`. */
export function worldInfoApi(lodge: Lodge): Hono {
  const app = new Hono();
  const Name = z.object({ name: z.string() });
  app.post("/get", async (c) => {
    const { name } = await readBody(c, Name);
    const data = lodge.worldInfo.get(name);
    if (!data) throw notFound(`world info ${name} not found`);
    return c.json(data);
  });
  app.post("/get-batch", async (c) => {
    const { names } = await readBody(c, z.object({ names: z.array(z.string()).max(1000) }));
    return c.json(lodge.worldInfo.getBatch(names));
  });
  app.post("/edit", async (c) => {
    const b = await readBody(c, Name.extend({ data: Entries }));
    await lodge.worldInfo.save(b.name, b.data);
    return c.json({ ok: true });
  });
  app.post("/patch", async (c) => {
    const b = await readBody(c, Name.extend(Ops.shape));
    await lodge.worldInfo.patch(b.name, b.operations);
    return c.json({ ok: true });
  });
  app.post("/delete", async (c) => {
    lodge.worldInfo.delete((await readBody(c, Name)).name);
    return c.json({ ok: true });
  });
  return app;
}
