/**
 * The bundled example plugins, copied as a user would into a data dir and run in the real sandbox:
 * each does its job when the host emits the events it listens to.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { type PluginFixture, startSandboxHarness } from "../support/sandbox-harness.ts";

const EXAMPLES = ["message-counter", "prompt-notes", "dice-api", "dice-commands"];

/** An example folder as a fixture: its manifest verbatim and every other file. */
async function example(id: string): Promise<PluginFixture> {
  const dir = new URL(`../../plugins/examples/${id}/`, import.meta.url);
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name !== "manifest.json") {
      files[entry.name] = await Deno.readTextFile(new URL(entry.name, dir));
    }
  }
  return { id, manifest: await Deno.readTextFile(new URL("manifest.json", dir)), files };
}

Deno.test("example plugins", async (t) => {
  await using h = await startSandboxHarness({ plugins: await Promise.all(EXAMPLES.map(example)) });
  for (const id of EXAMPLES) await h.waitForState(id, "running");

  await t.step("message-counter counts sent and received messages in chat state", async () => {
    await h.call("eventSource.emit", eventTypes.MESSAGE_SENT, 0);
    await h.call("eventSource.emit", eventTypes.MESSAGE_SENT, 0);
    await h.call("eventSource.emit", eventTypes.MESSAGE_RECEIVED, 0);
    const state = await h.call("getChatState", "message-counter") as Record<string, unknown>;
    assert.equal(state.sent, 2);
    assert.equal(state.received, 1);
    assert.equal(state.lastIndex, 0);
  });

  await t.step("prompt-notes rewrites the prompt payload in place", async () => {
    const notes = JSON.parse(
      await Deno.readTextFile(new URL("../../plugins/examples/prompt-notes/notes.json", import.meta.url)),
    );
    const seen: unknown[] = [];
    // a host listener placed after every plugin sees the payload as the request would
    const capture = (data: unknown) => void seen.push(structuredClone(data));
    h.lodge.events.on(eventTypes.CHAT_COMPLETION_PROMPT_READY, capture, { priority: -1000 });
    try {
      await h.call("eventSource.emit", eventTypes.CHAT_COMPLETION_PROMPT_READY, {
        chat: [
          { role: "system", content: "You are Seraphina." },
          { role: "assistant", content: "Welcome back." },
          { role: "user", content: "OOC: keep it short. Where are we?" },
        ],
        dryRun: false,
      });
    } finally {
      h.lodge.events.off(eventTypes.CHAT_COMPLETION_PROMPT_READY, capture);
    }
    assert.deepEqual(seen, [{
      chat: [
        { role: "system", content: "You are Seraphina." },
        { role: "assistant", content: "Welcome back." },
        { role: "system", content: notes.note },
        { role: "user", content: "keep it short. Where are we?" },
      ],
      dryRun: false,
    }]);
  });

  await t.step("dice-commands answers /roll through the dice-api plugin's extension API", async () => {
    const before = await h.call("getMessageCount") as number;
    await h.call("addMessages", { name: "User", is_user: true, mes: "I swing my sword. /roll 3d1+2" });
    assert.equal(await h.call("getMessageCount"), before + 2);
    const reply = await h.call("getMessage", before + 1) as Record<string, unknown>;
    assert.equal(reply.name, "Dice");
    assert.equal(reply.is_system, true);
    assert.equal(reply.mes, "🎲 3d1+2 → 5 (1, 1, 1)");
    assert.deepEqual((reply.extra as Record<string, unknown>).dice, {
      notation: "3d1+2",
      rolls: [1, 1, 1],
      modifier: 2,
      total: 5,
    });
    // the counter saw both: the user's message and the dice reply
    const state = await h.call("getChatState", "message-counter") as Record<string, unknown>;
    assert.equal(state.sent, 3);
    assert.equal(state.received, 2);
  });

  await t.step("an invalid roll is reported in the plugin's log, not in the chat", async () => {
    const before = await h.call("getMessageCount") as number;
    await h.call("addMessages", { name: "User", is_user: true, mes: "/roll 500d6" });
    assert.equal(await h.call("getMessageCount"), before + 1);
    await h.waitForLog("dice-commands", /between 1 and 100 dice/);
  });
});
