/**
 * SillyTavern's token routes that Lodge's OpenAI encodings answer, to mount at `/api/tokenizers`, in
 * SillyTavern's shapes (`?model=` picks the encoding, else the live connection's model):
 * - `POST /openai/count`: a JSON array of chat messages → `{ token_count }`;
 * - `POST /openai/encode`: `{ text }` → `{ ids, count, chunks }`;
 * - `POST /openai/decode`: `{ ids }` → `{ text }`.
 * The other tokenizers' routes (`/llama/encode`, `/claude/encode`, ...) are not served: Lodge has no
 * such encodings, and a count from the wrong one would mislead.
 * @module
 */

import { Hono } from "hono";
import type { Lodge } from "../../core/lodge.ts";
import { countChatTokens, decodeTokens, encodeText } from "../../core/tokens/mod.ts";
import { CountRequest, DecodeRequest, EncodeRequest, tokenizerModel } from "../../rpc/methods/tokenizers.ts";
import { readBody } from "../body.ts";
import { runs } from "../route-access.ts";

/** Token routes, to mount at `/api/tokenizers`. */
export function tokenizersApi(lodge: Lodge): Hono {
  const app = new Hono();
  const model = (query: string | undefined) => tokenizerModel(lodge, query);
  app.post("/openai/count", runs("tokenizers.count"), async (c) => {
    const messages = await readBody(c, CountRequest);
    return c.json({ token_count: await countChatTokens(messages, model(c.req.query("model"))) });
  });
  app.post("/openai/encode", runs("tokenizers.encode"), async (c) => {
    const { text } = await readBody(c, EncodeRequest);
    const { ids, chunks } = await encodeText(text ?? "", model(c.req.query("model")));
    return c.json({ ids, count: ids.length, chunks });
  });
  app.post("/openai/decode", runs("tokenizers.decode"), async (c) => {
    const { ids } = await readBody(c, DecodeRequest);
    return c.json({ text: await decodeTokens(ids ?? [], model(c.req.query("model"))) });
  });
  return app;
}
