/**
 * Generation runs in the host: the page that asked for it may go away. A socket that starts a
 * streamed generation and closes mid-stream neither stops nor loses it; a socket that connects
 * afterwards sees the reply still streaming (in the open chat and as `STREAM_TOKEN_RECEIVED` events)
 * and the stored reply is whole at the end.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import type { ChatMessage } from "../../core/store.ts";
import { startGenerationHost, waitFor } from "../support/generation-host.ts";

Deno.test("a socket that reconnects sees the reply still streaming", async () => {
  await using g = await startGenerationHost();
  const tokens = Array.from({ length: 30 }, (_, i) => `t${i} `);
  g.fake.enqueue({ kind: "reply", content: tokens, delayMs: 20 });
  const first = await g.connect();
  const pending = first.call("generate", "normal").catch((error) => error);
  const mes = () => String(g.lodge.context.getMessage(g.lodge.context.getMessageCount() - 1)?.mes ?? "");
  await waitFor(() => mes().startsWith("t0 t1 "), "the first tokens");
  await first.close();
  assert.ok(await pending instanceof Error, "the first page's call ends with its socket");

  const second = await g.connect();
  assert.equal(await second.call("isGenerating"), true, "the generation goes on without its page");
  const seen: string[] = [];
  await second.on(eventTypes.STREAM_TOKEN_RECEIVED, (text) => seen.push(String(text)));
  const snapshot = await second.call("getContext") as { chat: ChatMessage[] };
  const partial = String(snapshot.chat.at(-1)!.mes);
  assert.ok(partial.startsWith("t0 t1 ") && partial.length < tokens.join("").length, `partial: ${partial}`);
  await waitFor(() => !g.lodge.generation.isGenerating(), "the end of the generation");
  assert.ok(seen.length > 0, "the new page receives the tokens that follow");
  assert.equal(seen.at(-1), tokens.join(""));
  const stored = g.lodge.chats.messages(g.lodge.context.record!.id).at(-1)!;
  assert.equal(stored.mes, tokens.join(""));
  assert.equal(typeof stored.gen_finished, "string");
});
