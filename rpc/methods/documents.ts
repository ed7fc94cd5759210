/**
 * World info, character card fields and the settings document over RPC. World info, extension fields
 * and a plugin's own `extension_settings[<id>]` are part of the plugin surface; the whole settings
 * document is for the UI and tools only.
 * @module
 */

import { z } from "zod";
import { PatchOpsSchema } from "../../core/patch.ts";
import { invalid, notFound } from "../../core/errors.ts";
import { defineMethod } from "../method.ts";

const Json = z.record(z.string(), z.unknown());
const WorldData = z.object({ entries: Json }).loose();

/** World info, extension fields and settings methods. */
export const documentMethods = [
  defineMethod({
    name: "getWorldInfoNames",
    summary: "Names of every world info book.",
    params: z.tuple([]),
    result: z.array(z.string()),
    capability: "plugin",
    example: "const names = await ctx.getWorldInfoNames();",
    handler: ({ lodge }) => lodge.worldInfo.names(),
  }),
  defineMethod({
    name: "loadWorldInfo",
    summary: "A world info book (`{ entries, ... }`), or null when there is none of that name.",
    params: z.tuple([z.string().min(1).meta({ title: "name" })]),
    result: Json.nullable(),
    capability: "plugin",
    example: 'const book = await ctx.loadWorldInfo("My World"); // { entries: { ... } } or null',
    handler: ({ lodge }, name) => lodge.worldInfo.get(name),
  }),
  defineMethod({
    name: "saveWorldInfo",
    summary: "Replaces a world info book; emits WORLDINFO_UPDATED(name, data).",
    params: z.tuple([z.string().min(1).meta({ title: "name" }), WorldData.meta({ title: "data" })]),
    result: z.null(),
    capability: "plugin",
    example:
      'await ctx.saveWorldInfo("My World", { entries: { 0: { uid: 0, key: ["dragon"], content: "Dragons are rare." } } });',
    handler: async ({ lodge }, name, data) => {
      await lodge.worldInfo.save(name, data);
      return null;
    },
  }),
  defineMethod({
    name: "patchWorldInfo",
    summary: "Applies lenient RFC 6902 ops to a world info book; emits WORLDINFO_UPDATED(name, data).",
    params: z.tuple([
      z.string().min(1).meta({ title: "name" }),
      PatchOpsSchema.meta({ title: "operations" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example:
      'await ctx.patchWorldInfo("My World", [{ op: "replace", path: "/entries/0/content", value: "Dragons are everywhere." }]);',
    handler: async ({ lodge }, name, ops) => {
      await lodge.worldInfo.patch(name, ops);
      return null;
    },
  }),
  defineMethod({
    name: "writeExtensionField",
    summary: "Replaces `data.extensions[key]` on the card of the character with this index.",
    params: z.tuple([
      z.number().int().min(0).meta({ title: "characterId" }),
      z.string().min(1).max(256).meta({ title: "key" }),
      z.unknown().meta({ title: "value" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'await ctx.writeExtensionField(ctx.characterId, "my-plugin", { enabled: true });',
      'ctx.characters[ctx.characterId].data.extensions["my-plugin"]; // { enabled: true }',
    ].join("\n"),
    handler: async ({ lodge }, characterId, key, value) => {
      const character = lodge.characters.all()[characterId];
      if (!character) throw notFound(`no character with id ${characterId}`);
      await lodge.characters.writeExtensionField(character.avatar, key, value);
      return null;
    },
  }),
  defineMethod({
    name: "saveExtensionSettings",
    summary: "Saves the calling plugin's settings as `extension_settings[<plugin id>]` (the store its " +
      "settingsSchema form edits; SillyTavern's saveSettingsDebounced); emits SETTINGS_UPDATED. Plugins only.",
    params: z.tuple([Json.meta({ title: "settings" })]),
    result: z.null(),
    capability: "plugin",
    example: [
      "await ctx.saveExtensionSettings({ enabled: true, threshold: 3 });",
      'ctx.extensionSettings["my-plugin"]; // the same object, as the plugin keeps it',
    ].join("\n"),
    handler: async ({ lodge, caller }, value) => {
      if (caller.kind !== "plugin") {
        throw invalid("only a plugin saves its own settings: token holders use settings.patch");
      }
      const current = lodge.settings.get().extension_settings;
      const path = `/extension_settings/${caller.pluginId.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      await lodge.settings.patch([
        ...(typeof current === "object" && current !== null && !Array.isArray(current)
          ? []
          : [{ op: "add" as const, path: "/extension_settings", value: {} }]),
        { op: "add", path, value },
      ]);
      return null;
    },
  }),
  defineMethod({
    name: "getExtensionSettings",
    summary: "The calling plugin's settings, `extension_settings[<plugin id>]` as saved now (the store its " +
      "settingsSchema form edits), or null when none are saved. Plugins only; read it again after " +
      "SETTINGS_UPDATED.",
    params: z.tuple([]),
    result: z.unknown(),
    capability: "plugin",
    example: [
      "const settings = (await ctx.getExtensionSettings()) ?? {};",
      "ctx.eventSource.on(ctx.eventTypes.SETTINGS_UPDATED, async () => {",
      "  const fresh = await ctx.getExtensionSettings();",
      "});",
    ].join("\n"),
    handler: ({ lodge, caller }) => {
      if (caller.kind !== "plugin") {
        throw invalid("only a plugin reads its own settings: token holders use settings.get");
      }
      const all = lodge.settings.get().extension_settings;
      if (typeof all !== "object" || all === null || !Object.hasOwn(all, caller.pluginId)) return null;
      return (all as Record<string, unknown>)[caller.pluginId] ?? null;
    },
  }),
  defineMethod({
    name: "settings.get",
    summary: "The whole settings document (UI and tools only).",
    params: z.tuple([]),
    result: Json,
    capability: "admin",
    handler: ({ lodge }) => lodge.settings.get(),
  }),
  defineMethod({
    name: "settings.save",
    summary: "Replaces the settings document; emits SETTINGS_UPDATED.",
    params: z.tuple([Json.meta({ title: "settings" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, doc) => {
      await lodge.settings.save(doc);
      return null;
    },
  }),
  defineMethod({
    name: "settings.patch",
    summary: "Applies lenient RFC 6902 ops to the settings document; emits SETTINGS_UPDATED.",
    params: z.tuple([PatchOpsSchema.meta({ title: "operations" })]),
    result: z.null(),
    capability: "admin",
    handler: async ({ lodge }, ops) => {
      await lodge.settings.patch(ops);
      return null;
    },
  }),
] as const;
