/**
 * SillyTavern import and export of whole user folders (UI and tools only: they read and write folders
 * on the host's disk).
 * @module
 */

import { z } from "zod";
import { exportSillyTavernFolder, importSillyTavernFolder } from "../../core/compat/mod.ts";
import { defineMethod } from "../method.ts";

const Counts = z.object({
  characters: z.number(),
  chats: z.number(),
  groupChats: z.number(),
  groups: z.number(),
  worlds: z.number(),
  presets: z.number(),
  settings: z.number(),
  images: z.number(),
  secrets: z.number(),
});

/** Both methods' one argument: the folder on the host's disk, and whether secrets.json goes with it. */
const FolderRequest = z.tuple([
  z.object({
    path: z.string().min(1).max(4096),
    includeSecrets: z.boolean().optional(),
  }).meta({ title: "request" }),
]);

/** The compat methods. */
export const compatMethods = [
  defineMethod({
    name: "importSillyTavern",
    summary:
      "Imports a SillyTavern 1.12 user folder (data/<user>/) on the host's disk: characters (PNG and " +
      "JSON cards, embedded books), chats, groups and group chats, World Info books, chat-completion " +
      "presets, settings.json, user avatars, backgrounds, and secrets.json only with includeSecrets. " +
      "What is already there is left as it is (a second run adds nothing); every file not imported is " +
      "listed in skipped with the reason. Progress goes out as import_progress events.",
    params: FolderRequest,
    result: z.object({
      imported: Counts,
      unchanged: z.number(),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
    }),
    capability: "admin",
    handler: ({ lodge }, request) =>
      importSillyTavernFolder(lodge, request.path, { includeSecrets: request.includeSecrets }),
  }),
  defineMethod({
    name: "exportSillyTavern",
    summary: "Writes a SillyTavern 1.12.6 user folder at path (which must not exist or be empty): " +
      "characters as PNG cards (V2 chara + V3 ccv3), chats and group chats as .jsonl, groups, World Info " +
      "books, chat-completion presets, settings.json, user avatars and backgrounds, named and laid out as " +
      "SillyTavern writes them, and secrets.json (each key's active API key, mode 0600) only with " +
      "includeSecrets. Returns the counts.",
    params: FolderRequest,
    result: z.object({ path: z.string(), counts: Counts }),
    capability: "admin",
    handler: ({ lodge }, request) =>
      exportSillyTavernFolder(lodge, request.path, { includeSecrets: request.includeSecrets }),
  }),
];
