/**
 * Regex scripts over RPC: SillyTavern's `getRegexedString`, the effective script list with cut-offs, and
 * the provider calls behind a worker's `registerManagedRegexProvider` handle. A plugin's providers are
 * keyed by its id (one plugin never replaces another's) and go when its connection closes.
 * @module
 */

import { z } from "zod";
import { RegexScriptSchema } from "../../core/schema/mod.ts";
import type { RegexScript } from "../../core/regex/mod.ts";
import { defineMethod } from "../method.ts";
import { cleanUpOnClose } from "../peer-cleanup.ts";
import { ownerOf } from "./tools.ts";

const Owner = z.string().min(1).max(128);

const RegexOptions = z.object({
  isMarkdown: z.boolean().optional(),
  isPrompt: z.boolean().optional(),
  isEdit: z.boolean().optional(),
  depth: z.number().int().min(0).optional(),
  characterOverride: z.string().max(1_000).optional(),
}).optional();

const ListedScript = z.object({
  script: z.record(z.string(), z.unknown()),
  source: z.record(z.string(), z.unknown()),
  cutOff: z.boolean(),
});

const CutOff = z.object({ id: z.string(), scriptName: z.string(), findRegex: z.string(), time: z.number() });

/** The regex methods. */
export const regexMethods = [
  defineMethod({
    name: "getRegexedString",
    summary: "A text after every regex script that applies at a placement (1 user input, 2 AI output, " +
      "3 slash command, 5 world info, 6 reasoning), as SillyTavern's getRegexedString.",
    params: z.tuple([
      z.string().max(10_000_000).meta({ title: "text" }),
      z.number().int().min(0).max(16).meta({ title: "placement" }),
      RegexOptions.meta({ title: "options" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example: 'const shown = await ctx.getRegexedString("Hello *there*", 2); // after the AI-output scripts',
    handler: ({ lodge }, text, placement, options) => lodge.regex.apply(text, placement, options ?? {}),
  }),
  defineMethod({
    name: "regex.test",
    summary: "Runs one regex script on a sample text whatever its placement or disabled flag (an editor's " +
      "test), with macros expanded and the time budget of a real run; answers the text it makes.",
    params: z.tuple([
      RegexScriptSchema.meta({ title: "script" }),
      z.string().max(1_000_000).meta({ title: "text" }),
      RegexOptions.meta({ title: "options" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example: [
      'const script = { id: "t", scriptName: "Cats", findRegex: "/cat/g", replaceString: "dog", placement: [2] };',
      'const out = await ctx.regex.test(script, "cat and cat"); // "dog and dog"',
    ].join("\n"),
    handler: ({ lodge }, script, text, options) =>
      lodge.regex.test(script as RegexScript, text, options ?? {}),
  }),
  defineMethod({
    name: "regex.list",
    summary: "Every effective regex script in run order (global, the character's when allowed, plugins'), " +
      "with its source and whether it is cut off.",
    params: z.tuple([]),
    result: z.array(ListedScript),
    capability: "plugin",
    example: [
      "const scripts = await ctx.regex.list();",
      "console.log(scripts.filter((s) => !s.cutOff).map((s) => s.script.scriptName));",
    ].join("\n"),
    handler: ({ lodge }) => lodge.regex.list() as unknown as z.infer<typeof ListedScript>[],
  }),
  defineMethod({
    name: "regex.cutOffs",
    summary: "Scripts the bounded runtime stopped for running past their time budget (skipped until " +
      "their pattern changes).",
    params: z.tuple([]),
    result: z.array(CutOff),
    capability: "plugin",
    example:
      "for (const s of await ctx.regex.cutOffs()) console.warn(`${s.scriptName} ran past its budget (${s.time} ms)`);",
    handler: ({ lodge }) => lodge.regex.cutOffs(),
  }),
  defineMethod({
    name: "regex.provider.set",
    summary: "Sets the scripts of the caller's regex provider `owner` (registerManagedRegexProvider).",
    params: z.tuple([
      Owner.meta({ title: "owner" }),
      z.array(RegexScriptSchema).max(1_000).meta({ title: "scripts" }),
      z.object({ reloadOnChange: z.boolean().optional() }).optional().meta({ title: "options" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      "// what a regex provider handle sends after each change (see registerManagedRegexProvider)",
      'const handle = ctx.registerManagedRegexProvider("my-plugin", { reloadOnChange: true });',
      'handle.upsertScript({ id: "shout", scriptName: "Shout", findRegex: "/!/g", replaceString: "!!" });',
      "await handle.refresh(); // resolves once the host has the scripts",
    ].join("\n"),
    handler: (ctx, owner, scripts, options) => {
      const pluginId = ownerOf(ctx);
      ctx.lodge.regex.setProvider(pluginId, owner, scripts as RegexScript[], options ?? {});
      cleanUpOnClose(ctx.peer, "regex", () => ctx.lodge.regex.removeProvider(pluginId));
      return null;
    },
  }),
  defineMethod({
    name: "regex.provider.unregister",
    summary: "Removes the caller's regex provider `owner`.",
    params: z.tuple([Owner.meta({ title: "owner" })]),
    result: z.null(),
    capability: "plugin",
    example: [
      "// what a regex provider handle's unregister() sends",
      'const handle = ctx.registerManagedRegexProvider("my-plugin");',
      "await handle.unregister();",
    ].join("\n"),
    handler: (ctx, owner) => {
      ctx.lodge.regex.removeProvider(ownerOf(ctx), owner);
      return null;
    },
  }),
];
