/**
 * Prompt assembly, macros, extension prompts and token counting over RPC. Plugin workers run
 * `buildPresetAwarePromptMessages`, `substituteParams` and `getTokenCount` locally over their mirror (the
 * same engines); these methods serve tools and the UI, and carry the writes workers make
 * (`setExtensionPrompt`, `registerMacro`, variable writes). A function macro registered over a
 * connection runs on the caller's side: the host calls `macro.invoke` `{ name }` back when a prompt uses
 * it; the connection's macros go when it closes.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { roleNumber, substituteArgs } from "../../core/prompt/mod.ts";
import { defineMethod } from "../method.ts";
import { cleanUpOnClose } from "../peer-cleanup.ts";
import { PeerMethod } from "../peer-methods.ts";
import { ownerOf } from "./tools.ts";

const Text = z.string().max(10_000_000);
const MacroName = z.string().min(1).max(200);
const Role = z.union([z.string().max(64), z.number()]);
const Message = z.object({
  role: z.string().max(64),
  content: z.string().nullable().optional(),
  name: z.string().max(256).optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().max(256).optional(),
}).loose();
const PromptMessage = z.object({
  role: z.string(),
  content: z.string(),
  name: z.string().optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
});
const BuildOptions = z.object({
  messages: z.array(Message).max(100_000),
  envelopeOptions: z.object({
    includeCharacterCard: z.boolean().optional(),
    api: z.string().max(64).optional(),
    promptPresetName: z.string().max(256).optional(),
  }).optional(),
  promptPresetName: z.string().max(256).optional(),
  runtimeWorldInfo: z.record(z.string(), z.unknown()).nullable().optional(),
});
const Variables = z.record(z.string().min(1).max(256), z.unknown());

/** The prompt methods. */
export const promptMethods = [
  defineMethod({
    name: "buildPresetAwarePromptMessages",
    summary: "Assembles messages into the chat-completion preset's prompt (card, persona, World Info, " +
      "Author's Note, extension prompts, examples) within the token budget.",
    params: z.tuple([BuildOptions.meta({ title: "options" })]),
    result: z.array(PromptMessage),
    capability: "plugin",
    example: [
      'await ctx.getTokenCountAsync(""); // in a worker, loads the encoding the prompt budget counts with',
      "const prompt = await ctx.buildPresetAwarePromptMessages({",
      '  messages: [{ role: "user", content: "Summarize the story so far." }],',
      "});",
      'const reply = await ctx.sendOpenAIRequest("quiet", prompt);',
    ].join("\n"),
    handler: ({ lodge }, options) => lodge.prompt.buildPresetAwarePromptMessages(options),
  }),
  defineMethod({
    name: "getTokenCount",
    summary: "Counts a text's tokens with power_user.tokenizer (0: ceil(characters / 3.35)) or the live " +
      "model's OpenAI encoding; padding is added.",
    params: z.tuple([Text.meta({ title: "text" }), z.number().int().optional().meta({ title: "padding" })]),
    result: z.number(),
    capability: "plugin",
    example:
      'const tokens = await ctx.getTokenCount("Hello there"); // synchronous in a worker after getTokenCountAsync',
    handler: async ({ lodge }, text, padding) => (await lodge.prompt.getTokenCount(text)) + (padding ?? 0),
  }),
  defineMethod({
    name: "getTokenCountAsync",
    summary: "The same count as getTokenCount.",
    params: z.tuple([Text.meta({ title: "text" }), z.number().int().optional().meta({ title: "padding" })]),
    result: z.number(),
    capability: "plugin",
    example: 'const tokens = await ctx.getTokenCountAsync("Hello there", 2); // with 2 added',
    handler: async ({ lodge }, text, padding) => (await lodge.prompt.getTokenCount(text)) + (padding ?? 0),
  }),
  defineMethod({
    name: "substituteParams",
    summary: "Expands macros over the open chat (SillyTavern's arguments: content, name1, name2, original, " +
      "group, replaceCharacterCard, additionalMacro); variable writes are saved.",
    params: z.tuple([
      Text.meta({ title: "content" }),
      z.string().max(256).nullable().optional().meta({ title: "name1" }),
      z.string().max(256).nullable().optional().meta({ title: "name2" }),
      Text.nullable().optional().meta({ title: "original" }),
      z.string().max(10_000).nullable().optional().meta({ title: "group" }),
      z.boolean().optional().meta({ title: "replaceCharacterCard" }),
      z.record(z.string(), z.unknown()).optional().meta({ title: "additionalMacro" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example:
      'const text = await ctx.substituteParams("{{char}} greets {{user}}."); // with the open chat\'s names',
    handler: ({ lodge }, content, ...args) => lodge.prompt.substituteParams(content, substituteArgs(...args)),
  }),
  defineMethod({
    name: "substituteParamsExtended",
    summary: "Expands macros with extra values ({{name}} → value) over the open chat.",
    params: z.tuple([
      Text.meta({ title: "content" }),
      z.record(z.string(), z.unknown()).optional().meta({ title: "additionalMacro" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example:
      'const text = await ctx.substituteParamsExtended("Mood: {{mood}}", { mood: "calm" }); // "Mood: calm"',
    handler: ({ lodge }, content, additionalMacro) =>
      lodge.prompt.substituteParams(content, { additionalMacro }),
  }),
  defineMethod({
    name: "setExtensionPrompt",
    summary: "Sets an extension prompt: position 0 after the main prompt, 1 in chat at depth, 2 before the " +
      "main prompt, -1 none; scan feeds the World Info scan; role 0 system, 1 user, 2 assistant.",
    params: z.tuple([
      z.string().min(1).max(256).meta({ title: "key" }),
      Text.meta({ title: "value" }),
      z.number().int().min(-1).max(2).meta({ title: "position" }),
      z.number().int().min(0).max(1000).meta({ title: "depth" }),
      z.boolean().optional().meta({ title: "scan" }),
      Role.optional().meta({ title: "role" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      "// in the chat, 2 messages deep, as a system message; not scanned by World Info",
      'await ctx.setExtensionPrompt("my-plugin", "Keep answers short.", 1, 2, false, 0);',
    ].join("\n"),
    handler: ({ lodge }, key, value, position, depth, scan, role) => {
      lodge.prompt.state.setExtensionPrompt(key, value, position, depth, scan, roleNumber(role));
      return null;
    },
  }),
  defineMethod({
    name: "extensionPrompts.list",
    summary: "Every extension prompt by key ({ value, position, depth, scan, role }).",
    params: z.tuple([]),
    result: z.record(
      z.string(),
      z.object({
        value: z.string(),
        position: z.number(),
        depth: z.number(),
        scan: z.boolean(),
        role: z.number(),
      }),
    ),
    capability: "plugin",
    example: [
      "const prompts = await ctx.extensionPrompts.list();",
      "for (const [key, { value, depth }] of Object.entries(prompts)) console.log(key, depth, value);",
    ].join("\n"),
    handler: ({ lodge }) => lodge.prompt.state.extensionPrompts(),
  }),
  defineMethod({
    name: "registerMacro",
    summary: "Registers a macro: a string, or `true` for a function that runs on the calling connection " +
      "(macro.invoke) when a prompt uses it. A macro of the same name is replaced.",
    params: z.tuple([
      MacroName.meta({ title: "name" }),
      z.union([z.string().max(1_000_000), z.literal(true)]).meta({ title: "value" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'await ctx.registerMacro("weather", "raining"); // {{weather}} expands to "raining"',
      'await ctx.registerMacro("now", () => new Date().toISOString()); // in a worker, a function runs at each use',
    ].join("\n"),
    handler: (ctx, name, value) => {
      const owner = ownerOf(ctx);
      const state = ctx.lodge.prompt.state;
      const peer = ctx.peer;
      if (value === true && !peer) {
        throw new LodgeError("unavailable", "a function macro needs a connection the host can call back");
      }
      state.registerMacro(name, {
        owner,
        value: value === true
          ? () => peer!.request(PeerMethod.MACRO_INVOKE, { name }, { timeoutMs: 5_000 })
          : value,
      });
      // a connection's macros go with it (an HTTP caller's stay until unregistered)
      cleanUpOnClose(peer, "macros", () => state.dropOwner(owner));
      return null;
    },
  }),
  defineMethod({
    name: "unregisterMacro",
    summary: "Removes a macro the caller registered; false when it has none by that name.",
    params: z.tuple([MacroName.meta({ title: "name" })]),
    result: z.boolean(),
    capability: "plugin",
    example: [
      'await ctx.registerMacro("weather", "raining");',
      'await ctx.unregisterMacro("weather");',
    ].join("\n"),
    handler: (ctx, name) => ctx.lodge.prompt.state.unregisterMacro(name, ownerOf(ctx)),
  }),
  defineMethod({
    name: "variables.set",
    summary: "Merges chat variables (the open chat's metadata `variables`) and global ones " +
      "(extension_settings.variables.global), as the variable macros write them.",
    params: z.tuple([
      z.object({ local: Variables.optional(), global: Variables.optional() }).meta({ title: "values" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'await ctx.variables.set({ local: { mood: "calm" }, global: { visits: 3 } });',
      'await ctx.substituteParams("{{getvar::mood}} / {{getglobalvar::visits}}"); // "calm / 3"',
    ].join("\n"),
    handler: async ({ lodge }, values) => {
      if (values.local && Object.keys(values.local).length) lodge.prompt.setChatVariables(values.local);
      if (values.global && Object.keys(values.global).length) {
        await lodge.prompt.setGlobalVariables(values.global);
      }
      return null;
    },
  }),
];
