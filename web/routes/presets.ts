/**
 * Preset routes: `/api/presets/save|delete|patch` and preset state `/api/presets/state/*`, with
 * Luker's bodies (`apiId` is the collection, e.g. `openai`).
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { invalid } from "../../core/errors.ts";
import type { Lodge } from "../../core/lodge.ts";
import { type PatchOp, PatchOpSchema, PatchOpsSchema } from "../../core/patch.ts";
import { COLLECTIONS } from "../../core/presets.ts";
import { readBody } from "../body.ts";
import { pluginOf, runs } from "../route-access.ts";

const Target = z.object({
  apiId: z.string().refine((id) => COLLECTIONS.includes(id), { message: "unknown preset collection" }),
  name: z.string().min(1).max(255),
});
/** Luker takes `operations`, or a single `operation`. */
const Ops = { operations: PatchOpsSchema.optional(), operation: PatchOpSchema.optional() };
const Namespace = z.object({ namespace: z.string().min(1).max(256) });

/** Preset routes, to mount at `/api/presets`. */
export function presetsApi(lodge: Lodge): Hono {
  const app = new Hono();
  const presets = () => lodge.presets;
  const target = (b: z.output<typeof Target>) => ({ collection: b.apiId, name: b.name });

  const SaveBody = Target.extend({ preset: z.record(z.string(), z.unknown()) });
  app.post("/save", runs("presets.save"), async (c) => {
    const b = await readBody(c, SaveBody);
    // as presets.save: a plugin's save keeps the preset's connection fields
    const saved = await presets().save(target(b), b.preset, { keepConnection: pluginOf(c) !== null });
    return c.json({ name: saved.name });
  });
  app.post("/delete", runs("presets.delete"), async (c) => {
    await presets().delete(target(await readBody(c, Target)));
    return c.json({ ok: true });
  });
  const PatchBody = Target.extend(Ops);
  app.post("/patch", runs("presets.patch"), async (c) => {
    const b = await readBody(c, PatchBody);
    const ops = opsOf(b);
    const { name } = presets().patch(target(b), ops);
    return c.json({ result: "ok", applied: ops.length, name });
  });

  const StateGetBody = Target.extend(Namespace.shape);
  app.post("/state/get", runs("presets.state.get"), async (c) => {
    const b = await readBody(c, StateGetBody);
    return c.json({ ok: true, data: presets().state.get(b.namespace, target(b)) });
  });
  const StateGetBatchBody = Target.extend({
    namespaces: z.array(z.string().min(1).max(256)).min(1).max(1000),
  });
  app.post("/state/get-batch", runs("presets.state.getBatch"), async (c) => {
    const b = await readBody(c, StateGetBatchBody);
    return c.json({ ok: true, data: presets().state.getBatch(b.namespaces, target(b)) });
  });
  const StatePatchBody = Target.extend({ ...Namespace.shape, ...Ops });
  app.post("/state/patch", runs("presets.state.patch"), async (c) => {
    const b = await readBody(c, StatePatchBody);
    return c.json(presets().state.patch(b.namespace, opsOf(b), target(b)));
  });
  const StateDeleteBody = Target.extend(Namespace.shape);
  app.post("/state/delete", runs("presets.state.delete"), async (c) => {
    const b = await readBody(c, StateDeleteBody);
    return c.json(presets().state.delete(b.namespace, target(b)));
  });
  app.post("/state/delete-all", runs("presets.state.deleteAll"), async (c) => {
    return c.json(presets().state.deleteAll(target(await readBody(c, Target))));
  });
  return app;
}

/** The operations of a body; at least one. */
function opsOf(b: { operations?: PatchOp[]; operation?: PatchOp }): PatchOp[] {
  const ops = b.operations ?? (b.operation ? [b.operation] : []);
  if (!ops.length) throw invalid("expected body.operations (or body.operation)");
  return ops;
}
