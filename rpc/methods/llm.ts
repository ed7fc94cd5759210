/**
 * `sendOpenAIRequest` over RPC and its abort; the connection check and model list. The signal argument's data form is `null` (no abort) or
 * `{ requestId }`: a worker whose `AbortSignal` fires calls `llm.abort(requestId)` on the same
 * connection, which aborts the host request (and the upstream HTTP request with it). Request ids are
 * scoped to the connection and caller, so nobody can abort another's request; every open request of a
 * connection is aborted when it closes.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { MessagesSchema, SendOptionsSchema } from "../../core/llm/schemas.ts";
import { type CallContext, defineMethod, type Peer } from "../method.ts";

const RequestId = z.string().min(1).max(128);
const Signal = z.union([z.null(), z.object({ requestId: RequestId })]).optional();
const Response = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number(),
  model: z.string(),
  choices: z.array(z.object({
    index: z.number(),
    message: z.object({
      role: z.literal("assistant"),
      content: z.string(),
      tool_calls: z.array(z.unknown()).optional(),
      reasoning_content: z.string().optional(),
    }),
    finish_reason: z.string().nullable(),
  })),
  usage: z.object({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
  }).optional(),
});

/** Running requests that carry a request id, per connection. */
const open = new WeakMap<Peer, Map<string, AbortController>>();

function requestsOf(peer: Peer): Map<string, AbortController> {
  let requests = open.get(peer);
  if (!requests) {
    const created = new Map<string, AbortController>();
    open.set(peer, requests = created);
    peer.onClose(() => {
      for (const controller of created.values()) {
        controller.abort(new DOMException("connection closed", "AbortError"));
      }
      created.clear();
    });
  }
  return requests;
}

/** The registry key of a request id: its caller, then the id. */
function keyOf(ctx: CallContext, requestId: string): string {
  const caller = ctx.caller.kind === "plugin"
    ? `plugin:${ctx.caller.pluginId}`
    : `client:${ctx.caller.connectionId}`;
  return `${caller}\u0000${requestId}`;
}

/** One model of a model list: its id and whatever else the endpoint said about it. */
const Model = z.object({ id: z.string() }).loose();

/** The LLM methods. */
export const llmMethods = [
  defineMethod({
    name: "checkConnection",
    summary: "Checks the live connection now (asks the endpoint for its models) and returns the new " +
      "online_status: valid, or what went wrong. The offline model is always valid.",
    params: z.tuple([]),
    result: z.string(),
    capability: "plugin",
    example: [
      "const status = await ctx.checkConnection();",
      'if (status !== "valid") console.warn("the model is not reachable:", status);',
    ].join("\n"),
    handler: ({ lodge }) => lodge.connectionStatus.check(),
  }),
  defineMethod({
    name: "listModels",
    summary: "The models a connection profile's endpoint offers (GET <base>/models with its key), or " +
      "the live connection's when no profile is named; the offline model lists itself.",
    params: z.tuple([z.string().min(1).max(128).optional().meta({ title: "profile" })]),
    result: z.array(Model),
    capability: "plugin",
    example: [
      "const models = await ctx.listModels();",
      "console.log(models.map((m) => m.id));",
      'const local = await ctx.listModels("Local"); // the models of that connection profile',
    ].join("\n"),
    handler: ({ lodge }, profile) => lodge.llm.listModels(profile),
  }),
  defineMethod({
    name: "sendOpenAIRequest",
    summary: "Sends chat messages with the live settings merged with llmPresetName, apiPresetName and " +
      "apiSettingsOverride; returns the OpenAI response object. The signal is null or { requestId } " +
      "for llm.abort.",
    params: z.tuple([
      z.string().min(1).max(64).meta({ title: "type" }),
      MessagesSchema.meta({ title: "messages" }),
      Signal.meta({ title: "signal" }),
      SendOptionsSchema.optional().meta({ title: "options" }),
    ]),
    result: Response,
    capability: "plugin",
    example: [
      'const reply = await ctx.sendOpenAIRequest("quiet", [{ role: "user", content: "Hi" }], null, { requestScope: "extension_internal" });',
      "console.log(reply.choices[0].message.content);",
    ].join("\n"),
    handler: async (ctx, type, messages, signal, options) => {
      const llm = ctx.lodge.llm;
      if (!signal) return await llm.sendOpenAIRequest(type, messages, null, options);
      if (!ctx.peer) {
        throw new LodgeError(
          "invalid",
          "a requestId needs a connection that can call llm.abort (WebSocket or worker)",
        );
      }
      const requests = requestsOf(ctx.peer);
      const key = keyOf(ctx, signal.requestId);
      if (requests.has(key)) {
        throw new LodgeError("conflict", `request ${signal.requestId} is already running`);
      }
      const controller = new AbortController();
      requests.set(key, controller);
      try {
        return await llm.sendOpenAIRequest(type, messages, controller.signal, options);
      } catch (error) {
        if (controller.signal.aborted) {
          throw new LodgeError("unavailable", `request ${signal.requestId} was aborted`, { aborted: true });
        }
        throw error;
      } finally {
        if (requests.get(key) === controller) requests.delete(key);
      }
    },
  }),
  defineMethod({
    name: "llm.abort",
    summary: "Aborts a running sendOpenAIRequest of this connection by its requestId.",
    params: z.tuple([RequestId.meta({ title: "requestId" })]),
    result: z.object({ aborted: z.boolean() }),
    capability: "plugin",
    example: [
      "// sent by the worker when the AbortSignal given to sendOpenAIRequest fires",
      "const controller = new AbortController();",
      'const pending = ctx.sendOpenAIRequest("quiet", [{ role: "user", content: "Hi" }], controller.signal);',
      "controller.abort();",
    ].join("\n"),
    handler: (ctx, requestId) => {
      const controller = ctx.peer ? open.get(ctx.peer)?.get(keyOf(ctx, requestId)) : undefined;
      controller?.abort(new DOMException("aborted by the caller", "AbortError"));
      return { aborted: controller !== undefined };
    },
  }),
];
