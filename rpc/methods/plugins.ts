/**
 * `plugins.*`: administration of the plugin runtime for the UI and token-holding tools. Plugins never
 * reach these (capability `admin`).
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import type { Lodge } from "../../core/lodge.ts";
import { PLUGIN_STATES, type PluginAdmin } from "../../core/plugin-admin.ts";
import { defineMethod } from "../method.ts";

const Id = z.string().min(1).max(64);

const Grants = z.object({
  net: z.array(z.string()),
  read: z.array(z.string()),
  env: z.array(z.string()),
  orderConfig: z.boolean(),
});

const PluginInfoSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  state: z.enum(PLUGIN_STATES),
  reason: z.string().nullable(),
  grants: Grants,
  accepted: Grants.nullable(),
  version: z.string().nullable(),
  crashes: z.number(),
  lastCrash: z.object({ time: z.number(), reason: z.string() }).nullable(),
  ui: z.object({
    panel: z.string().nullable(),
    actions: z.array(z.object({ id: z.string(), label: z.string(), where: z.enum(["message", "input"]) })),
  }).nullable(),
  hasSettings: z.boolean(),
});

const LogEntrySchema = z.object({
  time: z.number(),
  level: z.enum(["log", "info", "warn", "error", "debug"]),
  text: z.string(),
});

function admin(lodge: Lodge): PluginAdmin {
  if (!lodge.plugins) throw new LodgeError("unavailable", "the plugin runtime is not running");
  return lodge.plugins;
}

/** The plugin administration methods. */
export const pluginMethods = [
  defineMethod({
    name: "plugins.list",
    summary: "Every plugin found: id, display name, state, reason, grants, version, crashes and the " +
      "last crash { time, reason }.",
    params: z.tuple([]),
    result: z.array(PluginInfoSchema),
    capability: "admin",
    handler: ({ lodge }) => admin(lodge).list(),
  }),
  defineMethod({
    name: "plugins.enable",
    summary: "Enables a plugin (also clears its crash count) and starts it.",
    params: z.tuple([Id.meta({ title: "id" })]),
    result: PluginInfoSchema,
    capability: "admin",
    handler: ({ lodge }, id) => admin(lodge).enable(id),
  }),
  defineMethod({
    name: "plugins.accept",
    summary: "Accepts the grants a plugin's manifest asks for (a `pending` plugin) and starts it.",
    params: z.tuple([Id.meta({ title: "id" })]),
    result: PluginInfoSchema,
    capability: "admin",
    handler: ({ lodge }, id) => admin(lodge).accept(id),
  }),
  defineMethod({
    name: "plugins.disable",
    summary: "Stops a plugin and keeps it stopped across restarts.",
    params: z.tuple([Id.meta({ title: "id" })]),
    result: PluginInfoSchema,
    capability: "admin",
    handler: ({ lodge }, id) => admin(lodge).disable(id),
  }),
  defineMethod({
    name: "plugins.reload",
    summary: "Reads a plugin's folder again and restarts it.",
    params: z.tuple([Id.meta({ title: "id" })]),
    result: PluginInfoSchema,
    capability: "admin",
    handler: ({ lodge }, id) => admin(lodge).reload(id),
  }),
  defineMethod({
    name: "plugins.logs",
    summary: "A plugin's kept console output and errors, oldest first (the last `limit`, default 200).",
    params: z.tuple([
      Id.meta({ title: "id" }),
      z.object({ limit: z.number().int().min(1).max(10_000).optional() }).optional().meta({
        title: "options",
      }),
    ]),
    result: z.array(LogEntrySchema),
    capability: "admin",
    handler: ({ lodge }, id, options) => admin(lodge).logs(id, options),
  }),
  defineMethod({
    name: "plugins.install",
    summary: "Installs a plugin from a folder or a .zip / .tar.gz archive on the host's disk into " +
      "<data>/plugins/<id>/ in state pending (symlinks, hard links, devices, absolute or .. paths and " +
      "archives expanding past 64 MiB are refused; an installed id only with replace). Returns the " +
      "grants it asks for, plainly; plugins.accept starts it.",
    params: z.tuple([
      z.object({
        path: z.string().min(1).max(4096),
        id: Id.optional(),
        replace: z.boolean().optional(),
      }).meta({ title: "request" }),
    ]),
    result: z.object({
      id: z.string(),
      displayName: z.string(),
      version: z.string().nullable(),
      grants: Grants,
      permissions: z.array(z.string()),
      replaced: z.boolean(),
      state: z.literal("pending"),
    }),
    capability: "admin",
    handler: ({ lodge }, request) => admin(lodge).install(request),
  }),
  defineMethod({
    name: "plugins.settingsSchema",
    summary: "The JSON Schema of a plugin's settings (its manifest's `settingsSchema` file), or null when " +
      "it has none. The settings live in `extension_settings[<id>]` (`settings.get` / `settings.patch`).",
    params: z.tuple([Id.meta({ title: "id" })]),
    result: z.record(z.string(), z.unknown()).nullable(),
    capability: "admin",
    handler: ({ lodge }, id) => admin(lodge).settingsSchema(id),
  }),
  defineMethod({
    name: "plugins.rescan",
    summary: "Reads <data>/plugins/ again: starts new folders (a renamed one is new), stops and forgets " +
      "plugins whose folder is gone, retries refused ones; returns { added, removed, plugins }.",
    params: z.tuple([]),
    result: z.object({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      plugins: z.array(PluginInfoSchema),
    }),
    capability: "admin",
    handler: ({ lodge }) => admin(lodge).rescan(),
  }),
];
