/**
 * The preset surface of `getContext()` (`presets.*`, `presets.state.*`) and connection profiles
 * (`connectionProfiles.*`). `presets.state.update` takes its data form over RPC: the RFC 6902 ops the
 * updater's result differs by, with `test` guards on every replaced or removed path; a failed guard is
 * a conflict (-32000) and the caller re-runs its updater.
 * @module
 */

import { z } from "zod";
import { ConnectionProfileSchema } from "../../core/connection-profiles.ts";
import { LodgeError } from "../../core/errors.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { defineMethod } from "../method.ts";

const Collection = z.string().min(1).max(64).optional();
const Name = z.string().min(1).max(255);
/** A preset named by `{ collection, name }` or Luker's state form `{ apiId, name }`. */
const Target = z.object({
  collection: z.string().max(64).optional(),
  apiId: z.string().max(64).optional(),
  name: Name,
})
  .transform((t) => ({ collection: t.collection ?? t.apiId ?? "openai", name: t.name }));
const TargetOption = z.object({ target: Target.optional() }).optional();
const Namespace = z.string().min(1).max(256);
const Body = z.record(z.string(), z.unknown());
const Ref = z.object({
  collection: z.string(),
  name: z.string(),
  origin: z.object({ kind: z.literal("global") }),
});
const Live = z.object({
  ref: Ref.nullable(),
  body: Body,
  source: z.enum(["global", "runtime"]),
  selected: z.boolean(),
  stored: z.boolean(),
});
const Connection = z.object({
  requestApi: z.string(),
  requestModel: z.string(),
  requestUrl: z.string().nullable(),
  secretId: z.string().nullable(),
});
const StatePatched = z.object({ ok: z.literal(true), applied: z.number(), created: z.boolean() });
const Profile = z.record(z.string(), z.unknown());

/** Preset and connection-profile methods. */
export const presetMethods = [
  defineMethod({
    name: "presets.list",
    summary: "Saved presets of a collection (default `openai`).",
    params: z.tuple([Collection.meta({ title: "collection" })]),
    result: z.array(Ref),
    capability: "plugin",
    example: "const names = ctx.presets.list().map((ref) => ref.name); // answered in the worker",
    handler: ({ lodge }, collection) => lodge.presets.list(collection),
  }),
  defineMethod({
    name: "presets.getSelected",
    summary: "The selected saved preset, or null when a runtime preset is live.",
    params: z.tuple([Collection.meta({ title: "collection" })]),
    result: Ref.nullable(),
    capability: "plugin",
    example: "const selected = ctx.presets.getSelected(); // { collection, name, origin } or null",
    handler: ({ lodge }, collection) => lodge.presets.getSelected(collection),
  }),
  defineMethod({
    name: "presets.getLive",
    summary: "The live preset with unsaved changes: { ref, body, source, selected, stored }.",
    params: z.tuple([Collection.meta({ title: "collection" })]),
    result: Live.nullable(),
    capability: "plugin",
    example: "const { body, stored } = ctx.presets.getLive(); // stored is false with unsaved edits",
    handler: ({ lodge }, collection) => lodge.presets.getLive(collection),
  }),
  defineMethod({
    name: "presets.getStored",
    summary: "The saved content of a preset (names match ignoring case and accents), or null.",
    params: z.tuple([Target.meta({ title: "ref" })]),
    result: Body.nullable(),
    capability: "plugin",
    example: 'const body = ctx.presets.getStored({ collection: "openai", name: "Default" });',
    handler: ({ lodge }, target) => lodge.presets.getStored(target),
  }),
  defineMethod({
    name: "presets.save",
    summary: "Saves a preset's content; `{ select: true }` also selects it (not for plugins). A plugin " +
      "cannot change a preset's connection fields (source, model, URL, secret id).",
    params: z.tuple([
      Target.meta({ title: "ref" }),
      Body.meta({ title: "body" }),
      z.object({ select: z.boolean().optional() }).optional().meta({ title: "options" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'const body = ctx.presets.getStored({ name: "Default" });',
      'await ctx.presets.save({ collection: "openai", name: "Warm" }, { ...body, temperature: 1.1 });',
    ].join("\n"),
    handler: async ({ lodge, caller }, target, body, options) => {
      const plugin = caller.kind === "plugin";
      if (plugin && options?.select) throw new LodgeError("forbidden", "plugins cannot select presets");
      await lodge.presets.save(target, body, {
        select: options?.select,
        keepConnection: plugin,
      });
      return null;
    },
  }),
  defineMethod({
    name: "presets.resolve",
    summary: "The connection of a preset (the live one without a target): requestApi, requestModel, " +
      "requestUrl, secretId. Options: `fallback: false` makes an unknown name not_found instead of the " +
      "live connection; `live: true` resolves the selected preset with its unsaved edits.",
    params: z.tuple([
      Target.nullable().optional().meta({ title: "target" }),
      z.object({ fallback: z.boolean(), live: z.boolean() }).partial().loose().optional().meta({
        title: "options",
      }),
    ]),
    result: Connection,
    capability: "plugin",
    example:
      'const { requestApi, requestModel, requestUrl, secretId } = ctx.presets.resolve({ name: "Default" });',
    handler: ({ lodge }, target, options) => lodge.presets.resolve(target, options),
  }),
  defineMethod({
    name: "presets.state.get",
    summary: "A namespace's state bound to a preset (the selected one without a target), or null.",
    params: z.tuple([Namespace.meta({ title: "namespace" }), TargetOption.meta({ title: "options" })]),
    result: z.unknown(),
    capability: "plugin",
    example:
      'const state = await ctx.presets.state.get("my-plugin", { target: { collection: "openai", name: "Default" } });',
    handler: ({ lodge }, ns, options) => lodge.presets.state.get(ns, options?.target),
  }),
  defineMethod({
    name: "presets.state.getBatch",
    summary: "Several namespaces' preset state, keyed by namespace (null when absent).",
    params: z.tuple([
      z.array(Namespace).max(1000).meta({ title: "namespaces" }),
      TargetOption.meta({ title: "options" }),
    ]),
    result: z.record(z.string(), z.unknown()),
    capability: "plugin",
    example: 'const states = await ctx.presets.state.getBatch(["my-plugin", "other-plugin"]);',
    handler: ({ lodge }, nss, options) => lodge.presets.state.getBatch(nss, options?.target),
  }),
  defineMethod({
    name: "presets.state.update",
    summary: "Data form of presets.state.update(ns, updater): the updater's diff as RFC 6902 ops with " +
      "`test` guards. A failed guard is a conflict (-32000): re-read and run the updater again.",
    params: z.tuple([
      Namespace.meta({ title: "namespace" }),
      PatchOpsSchema.meta({ title: "operations" }),
      TargetOption.meta({ title: "options" }),
    ]),
    result: StatePatched,
    capability: "plugin",
    example: [
      "// the worker's ctx.presets.state.update(namespace, updater, options) sends the updater's diff",
      'await ctx.presets.state.update("my-plugin", (state = {}) => ({ ...state, runs: (state.runs ?? 0) + 1 }));',
    ].join("\n"),
    handler: ({ lodge }, ns, ops, options) => lodge.presets.state.patch(ns, ops, options?.target),
  }),
  defineMethod({
    name: "presets.state.patch",
    summary: "Applies RFC 6902 ops to a namespace's preset state (missing state starts from {}).",
    params: z.tuple([
      Namespace.meta({ title: "namespace" }),
      PatchOpsSchema.meta({ title: "operations" }),
      TargetOption.meta({ title: "options" }),
    ]),
    result: StatePatched,
    capability: "plugin",
    example: 'await ctx.presets.state.patch("my-plugin", [{ op: "add", path: "/enabled", value: true }]);',
    handler: ({ lodge }, ns, ops, options) => lodge.presets.state.patch(ns, ops, options?.target),
  }),
  defineMethod({
    name: "presets.state.delete",
    summary: "Deletes a namespace's preset state.",
    params: z.tuple([Namespace.meta({ title: "namespace" }), TargetOption.meta({ title: "options" })]),
    result: z.object({ ok: z.literal(true), deleted: z.boolean() }),
    capability: "plugin",
    example: 'await ctx.presets.state.delete("my-plugin");',
    handler: ({ lodge }, ns, options) => lodge.presets.state.delete(ns, options?.target),
  }),
  defineMethod({
    name: "presets.state.deleteAll",
    summary: "Deletes every namespace's state of a preset; `deleted` counts them.",
    params: z.tuple([TargetOption.meta({ title: "options" })]),
    result: z.object({ ok: z.literal(true), deleted: z.number() }),
    capability: "plugin",
    example:
      'const { deleted } = await ctx.presets.state.deleteAll({ target: { collection: "openai", name: "Default" } });',
    handler: ({ lodge }, options) => lodge.presets.state.deleteAll(options?.target),
  }),
  defineMethod({
    name: "presets.select",
    summary: "Selects a saved preset; its content becomes the live preset.",
    params: z.tuple([z.string().min(1).max(64).meta({ title: "collection" }), Name.meta({ title: "name" })]),
    result: Live,
    capability: "admin",
    handler: ({ lodge }, collection, name) => lodge.presets.select(collection, name),
  }),
  defineMethod({
    name: "presets.patchLive",
    summary: "Applies RFC 6902 ops to the live preset (unsaved edits).",
    params: z.tuple([
      z.string().min(1).max(64).meta({ title: "collection" }),
      PatchOpsSchema.meta({ title: "operations" }),
    ]),
    result: Live,
    capability: "admin",
    handler: ({ lodge }, collection, ops) => lodge.presets.patchLive(collection, ops),
  }),
  defineMethod({
    name: "presets.patch",
    summary: "Applies RFC 6902 ops to a saved preset.",
    params: z.tuple([Target.meta({ title: "ref" }), PatchOpsSchema.meta({ title: "operations" })]),
    result: Ref,
    capability: "admin",
    handler: ({ lodge }, target, ops) => lodge.presets.patch(target, ops),
  }),
  defineMethod({
    name: "presets.delete",
    summary: "Deletes a saved preset and its state.",
    params: z.tuple([Target.meta({ title: "ref" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, target) => {
      await lodge.presets.delete(target);
      return null;
    },
  }),
  defineMethod({
    name: "connectionProfiles.list",
    summary: "Every connection profile (secret ids, never secret values).",
    params: z.tuple([]),
    result: z.array(Profile),
    capability: "plugin",
    example: "const profiles = await ctx.connectionProfiles.list();",
    handler: ({ lodge }) => lodge.connections.list(),
  }),
  defineMethod({
    name: "connectionProfiles.resolve",
    summary: "The connection of a profile: requestApi, requestModel, requestUrl, secretId.",
    params: z.tuple([Name.meta({ title: "name" })]),
    result: Connection,
    capability: "plugin",
    example: 'const { requestApi, requestModel } = await ctx.connectionProfiles.resolve("Local");',
    handler: ({ lodge }, name) => lodge.connections.resolve(name),
  }),
  defineMethod({
    name: "connectionProfiles.save",
    summary: "Creates (no or unknown id) or replaces a connection profile.",
    params: z.tuple([ConnectionProfileSchema.meta({ title: "profile" })]),
    result: Profile,
    capability: "admin",
    handler: ({ lodge }, profile) => lodge.connections.save(profile),
  }),
  defineMethod({
    name: "connectionProfiles.delete",
    summary: "Deletes a connection profile by name.",
    params: z.tuple([Name.meta({ title: "name" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, name) => {
      await lodge.connections.delete(name);
      return null;
    },
  }),
  defineMethod({
    name: "connectionProfiles.apply",
    summary: "Makes a profile the current connection (selects its preset, writes its connection fields).",
    params: z.tuple([Name.meta({ title: "name" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, name) => {
      await lodge.connections.apply(name);
      return null;
    },
  }),
];
