/**
 * Each generation type's effect on the chat against a real host and a fake OpenAI server: normal,
 * sendMessage, swipe (and swipeLeft/swipeRight without a request), continue, regenerate, impersonate,
 * quiet, generateRaw and dry runs; one generation per chat; stop keeping partial text; a failure
 * leaving no half message; reasoning kept in `extra.reasoning`.
 */

import assert from "node:assert/strict";
import type { ChatMessage } from "../../core/store.ts";
import { RpcError } from "../../rpc/errors.ts";
import type { RecordedRequest } from "../support/fake-openai.ts";
import { startGenerationHost, waitFor } from "../support/generation-host.ts";

type Sent = { role: string; content: string }[];
const sent = (r: RecordedRequest) => r.body.messages as Sent;

Deno.test("generation types write the chat as SillyTavern does", async (t) => {
  await using g = await startGenerationHost();
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  const last = (): ChatMessage => chat().at(-1)!;

  await t.step("normal streams a new reply with reasoning", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Hel", "lo ", "there"], reasoning: "thinking" });
    const before = chat().length;
    const result = await g.rpc.call("generate", "normal");
    assert.equal(result.status, "done");
    assert.equal(result.text, "Hello there");
    assert.equal(chat().length, before + 1);
    const reply = last();
    assert.equal(reply.mes, "Hello there");
    assert.deepEqual(reply.swipes, ["Hello there"]);
    assert.equal(reply.swipe_id, 0);
    assert.equal(reply.is_user, false);
    assert.equal(typeof reply.gen_started, "string");
    assert.equal(typeof reply.gen_finished, "string");
    assert.equal((reply.extra as Record<string, unknown>).reasoning, "thinking");
    assert.equal(result.messageIndex, chat().length - 1);
    const request = g.fake.last;
    assert.equal(request.body.stream, true);
    assert.equal(sent(request)[0].role, "system");
    assert.ok(sent(request).some((m) => m.content.includes("friendly guide")), "the card is in the prompt");
  });

  await t.step("sendMessage writes the user's turn, then the reply", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Sure."] });
    const before = chat().length;
    const { index, generation } = await g.rpc.call("sendMessage", "Tell me more");
    assert.equal(index, before);
    assert.equal(chat()[index].is_user, true);
    assert.equal(chat()[index].mes, "Tell me more");
    assert.equal(generation?.text, "Sure.");
    assert.equal(chat().length, before + 2);
    assert.deepEqual(sent(g.fake.last).at(-1), { role: "user", content: "Tell me more" });
    const { generation: none } = await g.rpc.call("sendMessage", "just this", { generate: false });
    assert.equal(none, null);
    assert.equal(last().mes, "just this");
  });

  await t.step(
    "swipe adds a swipe beside the earlier one; swipeLeft/Right move without a request",
    async () => {
      g.fake.enqueue({ kind: "reply", content: ["First."] }, { kind: "reply", content: ["Second."] });
      await g.rpc.call("generate", "normal");
      const count = chat().length;
      await g.rpc.call("generate", "swipe");
      assert.equal(chat().length, count);
      assert.deepEqual(last().swipes, ["First.", "Second."]);
      assert.equal(last().swipe_id, 1);
      assert.equal(last().mes, "Second.");
      assert.ok(
        !sent(g.fake.last).some((m) => m.content === "First."),
        "the swiped reply is not in the prompt",
      );
      const requests = g.fake.requests.length;
      assert.equal(await g.rpc.call("swipeLeft"), 0);
      assert.equal(last().mes, "First.");
      assert.equal(await g.rpc.call("swipeLeft"), 0);
      assert.equal((await g.rpc.call("swipeRight")).swipeId, 1);
      assert.equal(last().mes, "Second.");
      assert.equal(g.fake.requests.length, requests, "moving between swipes sends nothing");
      g.fake.enqueue({ kind: "reply", content: ["Third."] });
      const right = await g.rpc.call("swipeRight");
      assert.equal(right.swipeId, 2);
      assert.equal(right.generation?.text, "Third.");
      assert.deepEqual(last().swipes, ["First.", "Second.", "Third."]);
      assert.equal(g.fake.requests.length, requests + 1);
    },
  );

  await t.step("continue appends to the current swipe", async () => {
    g.fake.enqueue({ kind: "reply", content: [" And", " more."] });
    const count = chat().length;
    const result = await g.rpc.call("generate", "continue");
    assert.equal(result.text, " And more.");
    assert.equal(chat().length, count);
    assert.equal(last().mes, "Third. And more.");
    assert.equal((last().swipes as string[])[2], "Third. And more.");
    assert.equal(last().swipe_id, 2);
    assert.ok(sent(g.fake.last).some((m) => m.content === "Third."), "the continued text is in the prompt");
  });

  await t.step("regenerate replaces the last reply", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Fresh."] });
    const count = chat().length;
    await g.rpc.call("generate", "regenerate");
    assert.equal(chat().length, count);
    assert.equal(last().mes, "Fresh.");
    assert.deepEqual(last().swipes, ["Fresh."]);
  });

  await t.step("impersonate and quiet return text and add nothing", async () => {
    g.fake.enqueue({ kind: "reply", content: ["I nod."] }, { kind: "reply", content: "A summary." });
    const count = chat().length;
    const impersonated = await g.rpc.call("generate", "impersonate");
    assert.equal(impersonated.text, "I nod.");
    const nudge = sent(g.fake.last).at(-1)!;
    assert.equal(nudge.role, "system");
    assert.match(nudge.content, /User/, "the impersonation prompt closes the prompt");
    const quiet = await g.rpc.call("generateQuietPrompt", "Summarize the chat");
    assert.equal(quiet, "A summary.");
    assert.equal(g.fake.last.body.stream, false, "quiet never streams");
    assert.equal(sent(g.fake.last).at(-1)!.content, "Summarize the chat");
    assert.equal(chat().length, count);
    g.fake.enqueue({ kind: "reply", content: "raw answer" });
    assert.equal(
      await g.rpc.call("generateRaw", { prompt: "2+2?", systemPrompt: "Be brief." }),
      "raw answer",
    );
    assert.deepEqual(sent(g.fake.last), [
      { role: "system", content: "Be brief." },
      { role: "user", content: "2+2?" },
    ]);
  });

  await t.step("a dry run returns the prompt and sends nothing", async () => {
    const requests = g.fake.requests.length;
    const count = chat().length;
    const dry = await g.rpc.call("generate", "normal", { dryRun: true });
    assert.equal(dry.status, "dry_run");
    assert.ok(Array.isArray(dry.prompt) && dry.prompt.length > 2);
    assert.equal(g.fake.requests.length, requests);
    assert.equal(chat().length, count);
  });

  await t.step("one generation per chat; stop keeps the partial text", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Partial ", "text ", "never ends"], stallAfter: 2 });
    const running = g.rpc.call("generate", "normal");
    await waitFor(() => String(last().mes) === "Partial text ", "the streamed tokens");
    assert.equal(await g.rpc.call("isGenerating"), true);
    const second = await g.rpc.call("generate", "normal").catch((e) => e);
    assert.ok(second instanceof RpcError && second.code === -32000, `refused: ${second}`);
    assert.match(second.message, /already running/);
    const send = await g.rpc.call("sendMessage", "hi").catch((e) => e);
    assert.ok(send instanceof RpcError, "sendMessage is refused too");
    assert.equal(last().mes, "Partial text ", "the refused send changed nothing");
    assert.equal(await g.rpc.call("stopGeneration"), true);
    const result = await running;
    assert.equal(result.status, "stopped");
    assert.equal(last().mes, "Partial text ");
    assert.equal(typeof last().gen_finished, "string");
    assert.equal(await g.rpc.call("stopGeneration"), false);
  });

  await t.step("a failure before any text leaves no message", async () => {
    const count = chat().length;
    g.fake.enqueue({ kind: "error", status: 400, body: { error: { message: "bad request" } } });
    await assert.rejects(g.rpc.call("generate", "normal"));
    assert.equal(chat().length, count);
    assert.equal(await g.rpc.call("isGenerating"), false);
  });
});
