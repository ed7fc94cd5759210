/**
 * The generation methods: the user's turn, the generation types, swipes, stop, quiet and raw
 * generations, traces, and the takeover handle's calls. Generation runs in the host: a caller that
 * goes away neither stops nor loses it.
 * @module
 */

import { z } from "zod";
import { GENERATION_TYPES } from "../../core/generation/mod.ts";
import { MessagesSchema } from "../../core/llm/schemas.ts";
import { defineMethod } from "../method.ts";
import { ownerOf } from "./tools.ts";

const Options = z.object({
  dryRun: z.boolean(),
  quiet_prompt: z.string().max(1_000_000),
  automatic_trigger: z.boolean(),
  force_name2: z.boolean(),
  skipWIAN: z.boolean(),
  force_chid: z.number().int().min(0),
  responseLength: z.number().int().min(1),
}).partial();

const SendOptions = Options.extend({ generate: z.boolean() }).partial();

const Reply = z.object({ index: z.number(), name: z.string(), text: z.string() });

const Result = z.object({
  id: z.string(),
  type: z.enum(GENERATION_TYPES),
  status: z.enum(["done", "stopped", "dry_run"]),
  text: z.string(),
  reasoning: z.string(),
  messageIndex: z.number().nullable(),
  replies: z.array(Reply),
  traces: z.array(z.string()),
  prompt: z.array(z.unknown()).optional(),
});

const Trace = z.record(z.string(), z.unknown());

const Buffers = z.object({ text: z.string().max(10_000_000), reasoning: z.string().max(10_000_000) })
  .partial();

const TakeoverId = z.string().min(1).max(128);

/** The generation methods. */
export const generationMethods = [
  defineMethod({
    name: "sendMessage",
    summary: "The user's turn: writes the user's message to the open chat, then generates a reply " +
      "unless { generate: false }. Refused while a generation runs in the chat.",
    params: z.tuple([
      z.string().max(1_000_000).meta({ title: "text" }),
      SendOptions.optional().meta({ title: "options" }),
    ]),
    result: z.object({ index: z.number(), generation: Result.nullable() }),
    capability: "plugin",
    example:
      'const { index, generation } = await ctx.sendMessage("Hello there!");\nconsole.log(index, generation?.text);',
    handler: ({ lodge }, text, options) => lodge.generation.sendMessage(text, options),
  }),
  defineMethod({
    name: "generate",
    summary: "Runs a generation of the open chat: normal, regenerate, swipe, continue, impersonate or " +
      "quiet; { dryRun: true } runs every hook up to the request and returns the prompt. One " +
      "generation per chat at a time.",
    params: z.tuple([
      z.enum(GENERATION_TYPES).meta({ title: "type" }),
      Options.optional().meta({ title: "options" }),
    ]),
    result: Result,
    capability: "plugin",
    example:
      'const { prompt } = await ctx.generate("normal", { dryRun: true });\nconst swiped = await ctx.generate("swipe");\nconsole.log(prompt.length, swiped.text);',
    handler: ({ lodge }, type, options) => lodge.generation.generate(type, options),
  }),
  defineMethod({
    name: "stopGeneration",
    summary: "Stops the open chat's generation, keeping the text received so far; false when none runs.",
    params: z.tuple([]),
    result: z.boolean(),
    capability: "plugin",
    example: "if (ctx.chat.at(-1)?.mes.length > 2000) await ctx.stopGeneration();",
    handler: ({ lodge }) => lodge.generation.stopGeneration(),
  }),
  defineMethod({
    name: "isGenerating",
    summary: "Whether a generation runs in the open chat (a page that reconnects asks this).",
    params: z.tuple([]),
    result: z.boolean(),
    capability: "plugin",
    example: 'if (!(await ctx.isGenerating())) await ctx.generate("continue");',
    handler: ({ lodge }) => lodge.generation.isGenerating(),
  }),
  defineMethod({
    name: "swipeLeft",
    summary: "Shows the previous swipe of the last reply (no request); resolves with the swipe id.",
    params: z.tuple([]),
    result: z.number(),
    capability: "plugin",
    example: "const swipeId = await ctx.swipeLeft();",
    handler: ({ lodge }) => lodge.generation.swipeLeft(),
  }),
  defineMethod({
    name: "swipeRight",
    summary: "Shows the next swipe of the last reply; past the last one, generates a new swipe.",
    params: z.tuple([Options.optional().meta({ title: "options" })]),
    result: z.object({ swipeId: z.number(), generation: Result.nullable() }),
    capability: "plugin",
    example: "const { swipeId, generation } = await ctx.swipeRight();",
    handler: ({ lodge }, options) => lodge.generation.swipeRight(options),
  }),
  defineMethod({
    name: "generateQuietPrompt",
    summary: "A quiet generation over the open chat with the given instruction; resolves with the text " +
      "and writes nothing.",
    params: z.tuple([
      z.union([
        z.string().max(1_000_000),
        z.object({
          quietPrompt: z.string().max(1_000_000),
          skipWIAN: z.boolean(),
          responseLength: z.number().int().min(1),
        }).partial(),
      ]).meta({ title: "prompt" }),
      z.object({ skipWIAN: z.boolean(), responseLength: z.number().int().min(1) }).partial().optional()
        .meta({ title: "options" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example: 'const summary = await ctx.generateQuietPrompt("Summarize the chat in one sentence.");',
    handler: ({ lodge }, prompt, options) => lodge.generation.generateQuietPrompt(prompt, options),
  }),
  defineMethod({
    name: "generateRaw",
    summary: "Sends a prompt alone (text or messages, optional systemPrompt), without chat or card; " +
      "resolves with the reply text.",
    params: z.tuple([
      z.union([
        z.string().max(1_000_000),
        z.object({
          prompt: z.union([z.string().max(1_000_000), MessagesSchema]),
          systemPrompt: z.string().max(1_000_000).optional(),
          responseLength: z.number().int().min(1).optional(),
        }),
      ]).meta({ title: "input" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example:
      'const answer = await ctx.generateRaw({ prompt: "Name a color.", systemPrompt: "Answer in one word." });',
    handler: ({ lodge }, input) => lodge.generation.generateRaw(input),
  }),
  defineMethod({
    name: "getGenerationTrace",
    summary: "A generation's trace (hooks with each listener's time and payload diff, World Info " +
      "activations, the prompt with token counts, the requests sent with secrets redacted, timings); " +
      "without an id, the open chat's latest.",
    params: z.tuple([z.string().min(1).max(128).optional().meta({ title: "id" })]),
    result: Trace,
    capability: "plugin",
    example:
      "const trace = await ctx.getGenerationTrace();\nconst ready = trace.hooks.find((h) => h.event === ctx.eventTypes.CHAT_COMPLETION_PROMPT_READY);\nconsole.log(ready.listeners.map((l) => [l.pluginId, l.ms, l.diff]));",
    handler: ({ lodge }, id) => lodge.generation.getGenerationTrace(id) as unknown as Record<string, unknown>,
  }),
  defineMethod({
    name: "listGenerationTraces",
    summary: "The open chat's kept traces (the last 50), newest first: id, type, status, start, speaker.",
    params: z.tuple([]),
    result: z.array(z.object({
      id: z.string(),
      type: z.string(),
      status: z.string(),
      startedAt: z.number(),
      speaker: z.string().nullable(),
    })),
    capability: "plugin",
    example: "const [latest] = await ctx.listGenerationTraces();",
    handler: ({ lodge }) => {
      const chatId = lodge.context.currentChatId();
      return (chatId ? lodge.generation.traces.list(chatId) : []).map((t) => ({
        id: t.id,
        type: t.type,
        status: t.status,
        startedAt: t.startedAt,
        speaker: t.speaker,
      }));
    },
  }),
  defineMethod({
    name: "takeover.update",
    summary: "Sends a takeover handle's buffers (text, reasoning); answers whether the generation was " +
      "stopped.",
    params: z.tuple([TakeoverId.meta({ title: "id" }), Buffers.meta({ title: "buffers" })]),
    result: z.object({ aborted: z.boolean() }),
    capability: "plugin",
    example: [
      "// what a message editor handle sends while it writes (see createMessageEditorHandle)",
      "ctx.eventSource.on(ctx.eventTypes.GENERATE_TAKEOVER_DISPATCH, (data) => {",
      '  const handle = ctx.createMessageEditorHandle({ generationType: data.type, owner: "my-plugin" });',
      "  data.takeoverHandle = handle;",
      '  handle.setText("Thinking...");',
      "  handle.commit();",
      "});",
    ].join("\n"),
    handler: (ctx, id, buffers) => {
      const handle = ctx.lodge.generation.takeovers.open(ownerOf(ctx), id);
      handle.update(buffers.text ?? handle.text, buffers.reasoning ?? handle.reasoning);
      return { aborted: handle.aborted };
    },
  }),
  defineMethod({
    name: "takeover.settle",
    summary: "Settles a takeover handle: committed (the reply is final), aborted (kept as it is) or " +
      "discarded (the chat goes back to how it was).",
    params: z.tuple([
      TakeoverId.meta({ title: "id" }),
      z.enum(["committed", "aborted", "discarded"]).meta({ title: "status" }),
      Buffers.meta({ title: "buffers" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      "// what a message editor handle sends once, from commit(), abort() or discard()",
      "ctx.eventSource.on(ctx.eventTypes.GENERATE_TAKEOVER_DISPATCH, (data) => {",
      '  const handle = ctx.createMessageEditorHandle({ generationType: data.type, owner: "my-plugin" });',
      "  data.takeoverHandle = handle;",
      "  handle.discard(); // the chat goes back to how it was",
      "});",
    ].join("\n"),
    handler: (ctx, id, status, buffers) => {
      const handle = ctx.lodge.generation.takeovers.open(ownerOf(ctx), id);
      handle.settle(status, buffers.text ?? handle.text, buffers.reasoning ?? handle.reasoning);
      return null;
    },
  }),
];
