/**
 * `POST /api/backends/chat-completions/generate`: SillyTavern's chat-completions body (`messages`,
 * `model`, `chat_completion_source`, `custom_url`, sampling fields, `tools`, `stream`, `secret_id`).
 * Answers the OpenAI response object, or an SSE stream of OpenAI chunks ending with `[DONE]` when
 * `stream` is set. A request that fails before its first token gets an HTTP error status; a failure
 * mid-stream is sent as a last `{ "error": { "message" } }` event. The upstream request stops when
 * the client goes away.
 * @module
 */

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { LodgeError } from "../../core/errors.ts";
import { GenerateBodySchema } from "../../core/llm/schemas.ts";
import { type StreamDelta, toCompletionResponse } from "../../core/llm/types.ts";
import type { Lodge } from "../../core/lodge.ts";
import { readBody } from "../body.ts";
import { pluginOf, runs } from "../route-access.ts";

/** Chat-completion routes, to mount at `/api/backends/chat-completions`. */
export function chatCompletionsApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/generate", runs("sendOpenAIRequest"), async (c) => {
    const body = await readBody(c, GenerateBodySchema);
    const llm = lodge.llm;
    // as sendOpenAIRequest: a plugin's request goes to a custom URL only when the user set it up
    const checked = { checkEndpoint: pluginOf(c) !== null };
    const controller = new AbortController();
    const clientGone = c.req.raw.signal;
    const stop = () => controller.abort(new DOMException("the client went away", "AbortError"));
    clientGone.addEventListener("abort", stop, { once: true });
    if (!body.stream) {
      try {
        return c.json(toCompletionResponse(await llm.generate(body, controller.signal, checked)));
      } finally {
        clientGone.removeEventListener("abort", stop);
      }
    }
    const deltas = llm.stream(body, controller.signal, checked);
    // wait for the first delta, so a refused request is still an HTTP error
    let first: IteratorResult<StreamDelta>;
    try {
      first = await deltas.next();
    } catch (error) {
      clientGone.removeEventListener("abort", stop);
      throw error;
    }
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const model = llm.modelFor(body);
    return streamSSE(c, async (sse) => {
      sse.onAbort(stop);
      try {
        for (let next = first; !next.done; next = await deltas.next()) {
          await sse.writeSSE({ data: JSON.stringify(chunk(id, model, next.value)) });
        }
        await sse.writeSSE({ data: "[DONE]" });
      } catch (error) {
        if (!controller.signal.aborted) {
          const message = error instanceof LodgeError ? error.message : "the request failed";
          if (!(error instanceof LodgeError)) console.error("chat-completions stream failed:", error);
          await sse.writeSSE({ data: JSON.stringify({ error: { message } }) });
        }
      } finally {
        clientGone.removeEventListener("abort", stop);
        await deltas.return(undefined);
      }
    });
  });
  return app;
}

/** The OpenAI stream chunk for one delta. */
function chunk(id: string, model: string, delta: StreamDelta): Record<string, unknown> {
  const base = { id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model };
  switch (delta.type) {
    case "text":
      return { ...base, choices: [{ index: 0, delta: { content: delta.text }, finish_reason: null }] };
    case "reasoning":
      return {
        ...base,
        choices: [{ index: 0, delta: { reasoning_content: delta.text }, finish_reason: null }],
      };
    case "tool_call": {
      const fn: Record<string, string> = { arguments: delta.arguments };
      if (delta.name) fn.name = delta.name;
      const call: Record<string, unknown> = { index: delta.index, type: "function", function: fn };
      if (delta.id) call.id = delta.id;
      return { ...base, choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }] };
    }
    case "done": {
      const done = { ...base, model: delta.completion.model || model };
      const last: Record<string, unknown> = {
        ...done,
        choices: [{ index: 0, delta: {}, finish_reason: delta.completion.finishReason }],
      };
      if (delta.completion.usage) last.usage = delta.completion.usage;
      return last;
    }
  }
}
