/**
 * The host's own health for operators: what the store moved aside at start because it could not read it,
 * and what an acknowledged write survives.
 * @module
 */

import { z } from "zod";
import { defineMethod } from "../method.ts";

/** Health methods (UI and tools only). */
export const healthMethods = [
  defineMethod({
    name: "health",
    summary: "The host's health: `quarantined` lists stored rows moved aside at start because they could " +
      "not be read (not JSON, nested too deeply, a non-finite number), with where they were and why; " +
      "`durability` says what an acknowledged write survives (`process-crash` by default, `power-loss` " +
      "with `--synchronous full`).",
    params: z.tuple([]),
    result: z.object({
      ok: z.boolean(),
      quarantined: z.array(z.object({
        source: z.string(),
        key: z.string(),
        reason: z.string(),
        movedAt: z.number(),
      })),
      durability: z.enum(["process-crash", "power-loss"]),
    }),
    capability: "admin",
    handler: ({ lodge }) => ({
      ok: true,
      quarantined: lodge.store.quarantined(),
      durability: lodge.store.durability(),
    }),
  }),
] as const;
