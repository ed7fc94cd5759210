/**
 * Secret routes, write-only: `/api/secrets/write|rotate|delete|list`. No route returns a value.
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { Lodge } from "../../core/lodge.ts";
import { readBody } from "../body.ts";
import { runs } from "../route-access.ts";

const Key = z.string().min(1).max(64);

/** Secret routes, to mount at `/api/secrets`. */
export function secretsApi(lodge: Lodge): Hono {
  const app = new Hono();
  const secrets = () => lodge.secrets;

  const WriteBody = z.object({
    key: Key,
    value: z.string().min(1).max(16_384),
    label: z.string().max(256).optional(),
  });
  app.post("/write", runs("secrets.write"), async (c) => {
    const b = await readBody(c, WriteBody);
    return c.json({ id: await secrets().write(b.key, b.value, b.label) });
  });
  const RotateBody = z.object({ key: Key, id: z.string().min(1).max(128) });
  app.post("/rotate", runs("secrets.rotate"), async (c) => {
    const b = await readBody(c, RotateBody);
    await secrets().rotate(b.key, b.id);
    return c.json({ ok: true });
  });
  const DeleteBody = z.object({ key: Key, id: z.string().min(1).max(128).optional() });
  app.post("/delete", runs("secrets.delete"), async (c) => {
    const b = await readBody(c, DeleteBody);
    await secrets().delete(b.key, b.id);
    return c.json({ ok: true });
  });
  app.post("/list", runs("secrets.list"), async (c) => c.json(await secrets().list()));
  return app;
}
