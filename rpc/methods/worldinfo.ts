/**
 * World Info activation over RPC: simulation, the rescan against given messages, the scan inputs,
 * SillyTavern's `getWorldInfoPrompt`, batch loading and the entry template. A post-activation hook is a
 * function and has no data form: over JSON-RPC a tool edits the returned payload itself and passes it
 * on as `runtimeWorldInfo`; inside a plugin worker the hook runs locally.
 * @module
 */

import { z } from "zod";
import { worldInfoEntryTemplate } from "../../core/worldinfo/types.ts";
import { defineMethod } from "../method.ts";

const Text = z.string().max(1_000_000);
const Message = z.looseObject({
  name: z.string().max(10_000).optional(),
  mes: Text.optional(),
  role: z.string().max(64).optional(),
  content: z.unknown().optional(),
  is_user: z.boolean().optional(),
  is_system: z.boolean().optional(),
});
const Messages = z.array(Message).max(100_000);
const ChatLines = z.array(Text).max(100_000);
const FullScanData = z.object({
  personaDescription: Text,
  characterDescription: Text,
  characterPersonality: Text,
  characterDepthPrompt: Text,
  scenario: Text,
  creatorNotes: Text,
  trigger: z.string().max(64),
});
const ScanData = FullScanData.partial();
const Type = z.string().min(1).max(64);

const Activation = z.object({
  activatedEntries: z.array(z.record(z.string(), z.unknown())),
  worldInfoBeforeEntries: z.array(z.string()),
  worldInfoAfterEntries: z.array(z.string()),
  worldInfoExamples: z.array(z.object({ position: z.number(), content: z.string() })),
  worldInfoDepth: z.array(z.object({ depth: z.number(), role: z.number(), entries: z.array(z.string()) })),
  anBefore: z.array(z.string()),
  anAfter: z.array(z.string()),
  outletEntries: z.record(z.string(), z.array(z.string())),
  worldInfoString: z.string(),
  worldInfoBefore: z.string(),
  worldInfoAfter: z.string(),
  chatForWI: z.array(z.string()),
  maxContext: z.number(),
  globalScanData: FullScanData,
});

const SimulateRequest = z.object({
  coreChat: Messages,
  chatForWI: ChatLines,
  maxContext: z.number().min(0).max(100_000_000),
  dryRun: z.boolean(),
  type: Type,
  includeNames: z.boolean(),
  globalScanData: ScanData,
  injections: z.array(Text).max(1000),
}).partial();

/** World Info activation methods. */
export const worldInfoMethods = [
  defineMethod({
    name: "simulateWorldInfoActivation",
    summary: "Runs a World Info activation over `coreChat` or `chatForWI` (the open chat when neither) and " +
      "returns the activation (runtimeWorldInfo). Unless dryRun: advances the chat's timed effects and emits " +
      "WORLD_INFO_ACTIVATED.",
    params: z.tuple([SimulateRequest.optional().meta({ title: "request" })]),
    result: Activation,
    capability: "plugin",
    example: [
      "const { activatedEntries, worldInfoBefore } = await ctx.simulateWorldInfoActivation({",
      '  chatForWI: ["User: the dragon wakes"],',
      "  dryRun: true, // no timed effects, no WORLD_INFO_ACTIVATED",
      "});",
    ].join("\n"),
    handler: ({ lodge }, request) => lodge.worldInfoActivation.simulate(request ?? {}),
  }),
  defineMethod({
    name: "resolveWorldInfoForMessages",
    summary: "A dry-run World Info rescan against these messages (system ones dropped); the result goes to " +
      "buildPresetAwarePromptMessages as runtimeWorldInfo. The empty result on error.",
    params: z.tuple([
      Messages.meta({ title: "messages" }),
      z.object({ type: Type, fallbackToCurrentChat: z.boolean() }).partial().loose().optional().meta({
        title: "options",
      }),
    ]),
    result: Activation,
    capability: "plugin",
    example: [
      'const messages = [{ name: "User", is_user: true, mes: "Tell me about the dragon" }];',
      "const runtimeWorldInfo = await ctx.resolveWorldInfoForMessages(messages);",
      'await ctx.getTokenCountAsync(""); // in a worker, loads the encoding the prompt budget counts with',
      "const prompt = await ctx.buildPresetAwarePromptMessages({",
      '  messages: [{ role: "user", content: messages[0].mes }],',
      "  runtimeWorldInfo,",
      "});",
    ].join("\n"),
    handler: ({ lodge }, messages, options) =>
      lodge.worldInfoActivation.resolveForMessages(messages, {
        type: options?.type,
        fallbackToCurrentChat: options?.fallbackToCurrentChat,
      }),
  }),
  defineMethod({
    name: "buildWorldInfoChatInput",
    summary: "The scan input for messages: newest first, `name: text` lines when includeNames (the " +
      "world_info_include_names setting when absent), system messages dropped.",
    params: z.tuple([
      Messages.meta({ title: "messages" }),
      z.boolean().optional().meta({ title: "includeNames" }),
    ]),
    result: z.array(z.string()),
    capability: "plugin",
    example:
      'const scanInput = await ctx.buildWorldInfoChatInput(ctx.chat, true); // ["User: Hi", ...], newest first',
    handler: ({ lodge }, messages, includeNames) =>
      lodge.worldInfoActivation.buildChatInput(messages, includeNames),
  }),
  defineMethod({
    name: "buildWorldInfoGlobalScanData",
    summary: "The selected character's scan data (persona description, description, personality, depth " +
      "prompt, scenario, creator notes) and the trigger type, with overrides.",
    params: z.tuple([Type.meta({ title: "type" }), ScanData.optional().meta({ title: "overrides" })]),
    result: FullScanData,
    capability: "plugin",
    example:
      'const scanData = await ctx.buildWorldInfoGlobalScanData("normal", { scenario: "A rainy night" });',
    handler: ({ lodge }, type, overrides) => lodge.worldInfoActivation.buildGlobalScanData(type, overrides),
  }),
  defineMethod({
    name: "getWorldInfoPrompt",
    summary: "SillyTavern's scan of ready scan input (newest first): the slots with worldInfoBefore / " +
      "worldInfoAfter; isDryRun false advances timed effects and emits WORLD_INFO_ACTIVATED.",
    params: z.tuple([
      ChatLines.meta({ title: "chat" }),
      z.number().min(0).max(100_000_000).meta({ title: "maxContext" }),
      z.boolean().meta({ title: "isDryRun" }),
      ScanData.optional().meta({ title: "globalScanData" }),
    ]),
    result: Activation,
    capability: "plugin",
    example: [
      "const scanInput = await ctx.buildWorldInfoChatInput(ctx.chat);",
      "const { worldInfoBefore, worldInfoAfter } = await ctx.getWorldInfoPrompt(scanInput, 8192, true);",
    ].join("\n"),
    handler: ({ lodge }, chat, maxContext, isDryRun, globalScanData) =>
      lodge.worldInfoActivation.getWorldInfoPrompt(chat, maxContext, isDryRun, globalScanData),
  }),
  defineMethod({
    name: "loadWorldInfoBatch",
    summary: "Several world info books by name (null for a name with none); a Map inside plugin workers.",
    params: z.tuple([z.array(z.string().min(1).max(256)).max(1000).meta({ title: "names" })]),
    result: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
    capability: "plugin",
    example: [
      'const books = await ctx.loadWorldInfoBatch(["My World", "Other World"]);',
      'books.get("My World"); // in a worker a Map: the book, or null when there is none',
    ].join("\n"),
    handler: ({ lodge }, names) => lodge.worldInfo.getBatch(names),
  }),
  defineMethod({
    name: "worldInfoEntry.template",
    summary: "SillyTavern's new-entry template: every entry field with its default (uid 0 as a placeholder).",
    params: z.tuple([]),
    result: z.record(z.string(), z.unknown()),
    capability: "plugin",
    example: [
      "// in a worker an object, answered there; over JSON-RPC a call that returns it",
      'const entry = { ...ctx.worldInfoEntry.template, uid: 1, key: ["dragon"], content: "Dragons fly." };',
    ].join("\n"),
    handler: () => structuredClone(worldInfoEntryTemplate) as Record<string, unknown>,
  }),
] as const;
