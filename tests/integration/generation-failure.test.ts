/**
 * An upstream stream that fails part-way, against a real host and a fake OpenAI server that cuts the
 * connection after some chunks: the text that arrived is kept in the reply, marked with
 * `extra.generation_error`, and the generation ends through the error path (the caller gets the error,
 * `GENERATION_ENDED` fires, `MESSAGE_RECEIVED` does not); when no text arrived, nothing is left.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import type { ChatMessage } from "../../core/store.ts";
import { startGenerationHost } from "../support/generation-host.ts";

Deno.test("a stream cut after some text keeps that text, marked; before any text, nothing", async (t) => {
  await using g = await startGenerationHost();
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  const last = (): ChatMessage => chat().at(-1)!;
  const seen: string[] = [];
  for (
    const event of [eventTypes.MESSAGE_RECEIVED, eventTypes.GENERATION_ENDED, eventTypes.GENERATION_STOPPED]
  ) {
    await g.rpc.on(event, () => void seen.push(event));
  }
  /** Runs `fn` and resolves with the events seen meanwhile, once the generation ended. */
  const during = async (fn: () => Promise<unknown>) => {
    seen.length = 0;
    await fn();
    while (!seen.includes(eventTypes.GENERATION_ENDED) && !seen.includes(eventTypes.GENERATION_STOPPED)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return [...seen];
  };

  await t.step("normal: the partial reply stays, marked, through the error path", async () => {
    const before = chat().length;
    g.fake.enqueue({ kind: "reply", content: ["Par", "tial ", "text", " never sent"], failAfter: 3 });
    const events = await during(() =>
      assert.rejects(g.rpc.call("generate", "normal"), (error: Error) => {
        assert.match(error.message, /\S/);
        return true;
      })
    );
    assert.equal(chat().length, before + 1, "the reply is kept");
    const reply = last();
    assert.equal(reply.mes, "Partial text");
    assert.deepEqual(reply.swipes, ["Partial text"]);
    assert.equal(typeof reply.gen_finished, "string", "the kept reply is finished");
    const marker = (reply.extra as Record<string, unknown>).generation_error;
    assert.equal(typeof marker, "string");
    assert.ok((marker as string).length > 0);
    assert.deepEqual(events, [eventTypes.GENERATION_ENDED], "no MESSAGE_RECEIVED for a failed reply");
    assert.equal(await g.rpc.call("isGenerating"), false);
    const trace = await g.rpc.call("getGenerationTrace");
    assert.equal(trace.status, "failed");
    assert.equal(typeof trace.error, "string");
  });

  await t.step("normal: a stream cut before any text leaves nothing", async () => {
    const before = chat().length;
    const lastBefore = structuredClone(last());
    g.fake.enqueue({ kind: "reply", content: ["never", " sent"], failAfter: 0 });
    const events = await during(() => assert.rejects(g.rpc.call("generate", "normal")));
    assert.equal(chat().length, before);
    assert.deepEqual(last(), lastBefore);
    assert.deepEqual(events, [eventTypes.GENERATION_ENDED]);
  });

  await t.step(
    "swipe: a cut before any text adds no swipe; after some text the swipe stays, marked",
    async () => {
      const original = structuredClone(last());
      g.fake.enqueue({ kind: "reply", content: ["x"], failAfter: 0 });
      await during(() => assert.rejects(g.rpc.call("generate", "swipe")));
      assert.deepEqual(last(), original, "the reply is as it was");

      g.fake.enqueue({ kind: "reply", content: ["Half ", "a swipe", " lost"], failAfter: 2 });
      await during(() => assert.rejects(g.rpc.call("generate", "swipe")));
      const swiped = last();
      assert.deepEqual(swiped.swipes, [...(original.swipes as string[]), "Half a swipe"]);
      assert.equal(swiped.swipe_id, (original.swipes as string[]).length);
      assert.equal(swiped.mes, "Half a swipe");
      assert.equal(typeof (swiped.extra as Record<string, unknown>).generation_error, "string");
    },
  );

  await t.step("continue: the text that arrived is appended, marked", async () => {
    const original = String(last().mes);
    g.fake.enqueue({ kind: "reply", content: [" and", " more", " lost"], failAfter: 2 });
    await during(() => assert.rejects(g.rpc.call("generate", "continue")));
    assert.equal(last().mes, `${original} and more`);
    assert.equal(typeof (last().extra as Record<string, unknown>).generation_error, "string");
  });
});
