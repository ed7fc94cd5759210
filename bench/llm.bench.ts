/**
 * Cost of Lodge's own work around an LLM request, without the model: reading a 1,000-chunk SSE stream
 * into deltas and an assembled completion, a full streamed request through the client against a
 * loopback server, the plain-text tool protocol (rewriting a 200-message history, parsing a reply with
 * three calls), and an offline reply for a 50-message prompt. Run with
 * `deno bench -A --json bench/llm.bench.ts`; times are per operation.
 * @module
 */

import { OfflineProvider } from "../core/llm/offline.ts";
import { OpenAICompatibleClient } from "../core/llm/openai-client.ts";
import { parsePlainTextReply, toPlainTextMessages } from "../core/llm/prompt-xml.ts";
import { readSseData } from "../core/llm/sse.ts";
import { type ChatMessage, collect, CompletionAssembler, type ToolDefinition } from "../core/llm/types.ts";

const TOKENS = 1_000;
const encoder = new TextEncoder();
const sseBytes = encoder.encode(
  Array.from(
    { length: TOKENS },
    (_, i) =>
      `data: ${
        JSON.stringify({ id: "b", model: "m", choices: [{ index: 0, delta: { content: `tok${i} ` } }] })
      }\n\n`,
  )
    .join("") + "data: [DONE]\n\n",
);

/** The stream split in 4 KiB reads, as a socket delivers it. */
function sseStream(): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= sseBytes.length) return controller.close();
      controller.enqueue(sseBytes.subarray(at, at += 4096));
    },
  });
}

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(sseStream(), { headers: { "content-type": "text/event-stream" } }),
);
const client = new OpenAICompatibleClient({ baseUrl: `http://127.0.0.1:${server.addr.port}/v1` });

const tools: ToolDefinition[] = ["roll", "search", "note"].map((name) => ({
  type: "function",
  function: {
    name,
    description: `${name} tool`,
    parameters: { type: "object", properties: { q: { type: "string" } } },
  },
}));
const history: ChatMessage[] = Array.from({ length: 200 }, (_, i): ChatMessage[] =>
  i % 3 === 0
    ? [{
      role: "assistant",
      content: null,
      tool_calls: [{ id: `c${i}`, type: "function", function: { name: "roll", arguments: '{"q":"d20"}' } }],
    }, { role: "tool", tool_call_id: `c${i}`, content: "17" }]
    : [{ role: i % 2 ? "user" : "assistant", content: `message ${i} `.repeat(20) }]).flat().slice(0, 200);
const trigger = "<<CALL_benchABCD>>";
const reply = `Let me check.\n${trigger}\n<tool_calls>\n` +
  tools.map((t) => `<call name="${t.function.name}">{"q":"value for ${t.function.name}"}</call>`).join("\n") +
  "\n</tool_calls>";
const allowed = new Set(tools.map((t) => t.function.name));
const offline = new OfflineProvider({ tokenDelayMs: 0 });
const prompt: ChatMessage[] = Array.from({ length: 50 }, (_, i) => ({
  role: i % 2 ? "assistant" : "user",
  content: `turn ${i} `.repeat(30),
}));

Deno.bench("sse: read 1,000 chunks and assemble the completion", { group: "stream" }, async () => {
  const assembler = new CompletionAssembler();
  for await (const data of readSseData(sseStream())) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    assembler.add({ type: "text", text: chunk.choices[0].delta.content });
  }
  if (!assembler.result("b", "m").content) throw new Error("empty");
});

Deno.bench("client: streamed request of 1,000 chunks over loopback", { group: "stream" }, async () => {
  const completion = await collect(
    client.stream({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  );
  if (!completion.content.startsWith("tok0")) throw new Error("bad stream");
});

Deno.bench("prompt_xml: rewrite a 200-message history with tool calls", () => {
  toPlainTextMessages(history, trigger, tools);
});

Deno.bench("prompt_xml: parse a reply with three calls", () => {
  if (parsePlainTextReply(reply, trigger, allowed).toolCalls.length !== 3) throw new Error("bad parse");
});

Deno.bench("offline: reply to a 50-message prompt", async () => {
  await offline.complete({ model: "x", messages: prompt });
});

globalThis.addEventListener("unload", () => void server.shutdown());
