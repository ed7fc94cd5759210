/**
 * Token ids and counts with the OpenAI encodings Lodge counts with (what SillyTavern's
 * `/api/tokenizers/openai/*` routes answer; `getTokenCount` counts with the user's tokenizer setting
 * instead). The model picks the encoding (`o200k_base` for the GPT-4o, o-series, GPT-4.1 and GPT-5
 * families, `cl100k_base` for every other); without one, the live connection's model.
 * @module
 */

import { z } from "zod";
import type { Lodge } from "../../core/lodge.ts";
import { tokenizerChoice } from "../../core/prompt/mod.ts";
import { countChatTokens, decodeTokens, encodeText } from "../../core/tokens/mod.ts";
import { defineMethod } from "../method.ts";

/** The model whose encoding counts (absent: the live connection's). */
export const TokenizerOptions = z.object({ model: z.string().max(256).optional() });
/** A text to encode, at most 10 million characters. */
const Text = z.string().max(10_000_000);
/** Token ids to decode, at most a million. */
const Ids = z.array(z.number().int().nonnegative()).max(1_000_000);
/** A text to encode (SillyTavern's `{ text }` body). */
export const EncodeRequest = z.object({ text: Text.optional() });
/** Token ids to decode (SillyTavern's `{ ids }` body). */
export const DecodeRequest = z.object({ ids: Ids.optional() });
/** Chat messages to count (SillyTavern's body of `/api/tokenizers/openai/count`). */
export const CountRequest = z.array(z.record(z.string(), z.unknown())).max(100_000);

/** The model whose encoding counts: the one asked for, else the live connection's. */
export function tokenizerModel(lodge: Lodge, model: string | undefined): string {
  return model || String(tokenizerChoice(lodge.prompt.sources()).model ?? "");
}

/** The tokenizer methods. */
export const tokenizerMethods = [
  defineMethod({
    name: "tokenizers.count",
    summary: "Counts a chat request's tokens with the model's OpenAI encoding, as OpenAI does (3 per " +
      "message, each string field, 1 more per name, 3 for the reply); the live model without one.",
    params: z.tuple([
      CountRequest.meta({ title: "messages" }),
      TokenizerOptions.optional().meta({ title: "options" }),
    ]),
    result: z.number().int(),
    capability: "plugin",
    example: [
      'const n = await ctx.tokenizers.count([{ role: "user", content: "Hello there" }], { model: "gpt-4o" });',
      "// 9: 3 for the message, 1 for the role, 2 for the text, 3 for the reply",
    ].join("\n"),
    handler: ({ lodge }, messages, options) =>
      countChatTokens(messages, tokenizerModel(lodge, options?.model)),
  }),
  defineMethod({
    name: "tokenizers.encode",
    summary: "A text's token ids and the text of each token, with the model's OpenAI encoding (the " +
      "live model without one).",
    params: z.tuple([
      Text.meta({ title: "text" }),
      TokenizerOptions.optional().meta({ title: "options" }),
    ]),
    result: z.object({ ids: z.array(z.number().int()), chunks: z.array(z.string()) }),
    capability: "plugin",
    example:
      'const { ids, chunks } = await ctx.tokenizers.encode("Hello there"); // chunks: ["Hello", " there"]',
    handler: ({ lodge }, text, options) => encodeText(text, tokenizerModel(lodge, options?.model)),
  }),
  defineMethod({
    name: "tokenizers.decode",
    summary: "The text of token ids, with the model's OpenAI encoding (the live model without one); an " +
      "id the encoding lacks is an invalid_params error.",
    params: z.tuple([
      Ids.meta({ title: "ids" }),
      TokenizerOptions.optional().meta({ title: "options" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example: 'const text = await ctx.tokenizers.decode([13225, 1354], { model: "gpt-4o" }); // "Hello there"',
    handler: ({ lodge }, ids, options) => decodeTokens(ids, tokenizerModel(lodge, options?.model)),
  }),
];
