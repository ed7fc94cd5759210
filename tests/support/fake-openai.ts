/**
 * A real OpenAI-compatible chat-completions server on loopback for tests. It records every request and
 * answers from a queue of scripted replies: JSON, SSE streams (optionally slow, stalled or cut mid-way),
 * tool calls, or errors with any status and headers. With an empty queue it echoes the last user message.
 * `GET /v1/models` answers {@link FakeOpenAI.models} (or {@link FakeOpenAI.modelsError}) and is recorded
 * apart, in {@link FakeOpenAI.modelRequests}, so connection checks never count as chat requests.
 * @module
 */

/** One recorded request. */
export interface RecordedRequest {
  path: string;
  authorization: string | null;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A tool call the fake model makes. */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string;
}

/** How the server answers one request. */
export type FakeReply =
  | {
    kind: "reply";
    /** Reply text; streamed as the given tokens when the request asks for a stream. */
    content?: string | string[];
    toolCalls?: FakeToolCall[];
    reasoning?: string;
    /** Pause before each streamed chunk. */
    delayMs?: number;
    /** Stream only: how many chunks to send before stalling until the client goes away. */
    stallAfter?: number;
    /** Stream only: how many chunks to send before the connection is cut (no `[DONE]`, no clean end). */
    failAfter?: number;
  }
  | { kind: "error"; status: number; body?: unknown; headers?: Record<string, string> };

/** A scripted reply, or a function choosing one from the request. */
export type ReplyScript = FakeReply | ((request: RecordedRequest) => FakeReply);

/** The running server. */
export class FakeOpenAI {
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Streams the client stopped reading before their end. */
  cancelledStreams = 0;
  /** Every `GET /v1/models`, oldest first. */
  readonly modelRequests: RecordedRequest[] = [];
  /** What `GET /v1/models` lists. */
  models: Record<string, unknown>[] = [{ id: "fake-model", object: "model", owned_by: "fake" }];
  /** When set, `GET /v1/models` answers this error instead. */
  modelsError: { status: number; body?: unknown } | null = null;
  /** Pause before answering `GET /v1/models`. */
  modelsDelayMs = 0;
  #queue: ReplyScript[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;

  private constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  /** Starts a server on a free loopback port. */
  static start(): FakeOpenAI {
    return new FakeOpenAI();
  }

  /** Base URL up to `/v1`, as a client's `baseUrl`. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/v1`;
  }

  /** Queues replies for the next requests, in order. */
  enqueue(...replies: ReplyScript[]): this {
    this.#queue.push(...replies);
    return this;
  }

  /** The most recent request. */
  get last(): RecordedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error("no request received");
    return last;
  }

  /** Stops the server and waits for open connections to finish. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/v1/models") return await this.#models(req);
    const body = await req.json().catch(() => ({}));
    const recorded: RecordedRequest = {
      path,
      authorization: req.headers.get("authorization"),
      headers: Object.fromEntries(req.headers),
      body,
    };
    this.requests.push(recorded);
    if (path !== "/v1/chat/completions") {
      return Response.json({ error: { message: "not found" } }, { status: 404 });
    }
    const script = this.#queue.shift() ?? echo;
    const reply = typeof script === "function" ? script(recorded) : script;
    if (reply.kind === "error") {
      return Response.json(reply.body ?? { error: { message: `fake error ${reply.status}` } }, {
        status: reply.status,
        headers: reply.headers,
      });
    }
    const model = String(body.model ?? "fake-model");
    return body.stream ? this.#stream(reply, model) : Response.json(completion(reply, model));
  }

  async #models(req: Request): Promise<Response> {
    this.modelRequests.push({
      path: "/v1/models",
      authorization: req.headers.get("authorization"),
      headers: Object.fromEntries(req.headers),
      body: {},
    });
    if (this.modelsDelayMs) await new Promise((resolve) => setTimeout(resolve, this.modelsDelayMs));
    const error = this.modelsError;
    if (error) {
      return Response.json(error.body ?? { error: { message: `fake error ${error.status}` } }, {
        status: error.status,
      });
    }
    return Response.json({ object: "list", data: this.models });
  }

  #stream(reply: Extract<FakeReply, { kind: "reply" }>, model: string): Response {
    const chunks = streamChunks(reply, model);
    const encoder = new TextEncoder();
    let sent = 0;
    const { promise: clientGone, resolve: goneAway } = Promise.withResolvers<void>();
    // deno-lint-ignore no-this-alias
    const server = this;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (reply.stallAfter !== undefined && sent >= reply.stallAfter) {
          // hold the stream open until the client goes away
          return clientGone;
        }
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        // erroring the body makes the server drop the connection mid-response, as a failing upstream does
        if (reply.failAfter !== undefined && sent >= reply.failAfter) {
          return controller.error(new Error("the fake upstream cut the stream"));
        }
        const chunk = chunks[sent++];
        if (chunk === undefined) return controller.close();
        controller.enqueue(encoder.encode(`data: ${chunk}\n\n`));
      },
      cancel() {
        server.cancelledStreams++;
        goneAway();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }
}

/** The default reply: echoes the last user message. */
function echo(request: RecordedRequest): FakeReply {
  const messages = (request.body.messages ?? []) as { role: string; content: string }[];
  const lastUser = messages.findLast((m) => m.role === "user");
  return { kind: "reply", content: `echo: ${lastUser?.content ?? ""}` };
}

function completion(reply: Extract<FakeReply, { kind: "reply" }>, model: string) {
  const content = Array.isArray(reply.content) ? reply.content.join("") : reply.content ?? "";
  const message: Record<string, unknown> = { role: "assistant", content };
  if (reply.reasoning) message.reasoning_content = reply.reasoning;
  if (reply.toolCalls?.length) {
    message.tool_calls = reply.toolCalls.map((call, i) => ({
      id: call.id ?? `call_fake_${i}`,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model,
    choices: [{ index: 0, message, finish_reason: reply.toolCalls?.length ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

/** SSE payloads of a streamed reply: reasoning, text tokens, tool calls split in two fragments, [DONE]. */
function streamChunks(reply: Extract<FakeReply, { kind: "reply" }>, model: string): string[] {
  const chunk = (delta: unknown, finish: string | null = null) =>
    JSON.stringify({
      id: "chatcmpl-fake-stream",
      object: "chat.completion.chunk",
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const out: string[] = [];
  if (reply.reasoning) out.push(chunk({ reasoning_content: reply.reasoning }));
  const tokens = Array.isArray(reply.content) ? reply.content : reply.content ? [reply.content] : [];
  for (const token of tokens) out.push(chunk({ content: token }));
  reply.toolCalls?.forEach((call, index) => {
    const half = Math.floor(call.arguments.length / 2);
    out.push(chunk({
      tool_calls: [{
        index,
        id: call.id ?? `call_fake_${index}`,
        type: "function",
        function: { name: call.name, arguments: call.arguments.slice(0, half) },
      }],
    }));
    out.push(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }));
  });
  out.push(chunk({}, reply.toolCalls?.length ? "tool_calls" : "stop"));
  out.push("[DONE]");
  return out;
}
