/**
 * `secrets.*`: the write-only secret store for the UI and token-holding tools (admin only, never a
 * plugin). No method returns a value.
 * @module
 */

import { z } from "zod";
import { defineMethod } from "../method.ts";

const Key = z.string().min(1).max(64);
const Id = z.string().min(1).max(128);

/** The secret methods. */
export const secretMethods = [
  defineMethod({
    name: "secrets.write",
    summary: "Stores a value under a key (e.g. api_key_openai) as its active secret; returns the new id.",
    params: z.tuple([
      Key.meta({ title: "key" }),
      z.string().min(1).max(16_384).meta({ title: "value" }),
      z.string().max(256).optional().meta({ title: "label" }),
    ]),
    result: z.object({ id: z.string() }),
    capability: "admin",
    handler: async ({ lodge }, key, value, label) => ({
      id: await lodge.secrets.write(key, value, label),
    }),
  }),
  defineMethod({
    name: "secrets.rotate",
    summary: "Makes another stored secret of a key the active one.",
    params: z.tuple([Key.meta({ title: "key" }), Id.meta({ title: "id" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, key, id) => {
      await lodge.secrets.rotate(key, id);
      return null;
    },
  }),
  defineMethod({
    name: "secrets.delete",
    summary: "Deletes a secret of a key (the active one without an id).",
    params: z.tuple([Key.meta({ title: "key" }), Id.optional().meta({ title: "id" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, key, id) => {
      await lodge.secrets.delete(key, id);
      return null;
    },
  }),
  defineMethod({
    name: "secrets.list",
    summary: "Every stored secret as { key, id, label, active }, never its value.",
    params: z.tuple([]),
    result: z.array(z.object({ key: z.string(), id: z.string(), label: z.string(), active: z.boolean() })),
    capability: "admin",
    handler: ({ lodge }) => lodge.secrets.list(),
  }),
];
