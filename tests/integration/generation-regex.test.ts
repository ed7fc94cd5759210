/**
 * Regex scripts at the points of a real generation where SillyTavern applies them, against a real host
 * and a fake OpenAI server: the user's text as stored (user input), the reply and its reasoning as stored
 * (AI output, reasoning), the prompt-only lane on the history sent to the model by depth, and an
 * impersonation's returned line (user input). Display-only scripts never touch stored text.
 */

import assert from "node:assert/strict";
import { regexPlacement, type RegexScript } from "../../core/regex/mod.ts";
import type { RecordedRequest } from "../support/fake-openai.ts";
import { startGenerationHost } from "../support/generation-host.ts";

const { USER_INPUT, AI_OUTPUT, REASONING } = regexPlacement;
const script = (over: Partial<RegexScript>): RegexScript => ({
  id: crypto.randomUUID(),
  scriptName: "s",
  findRegex: "/x/g",
  replaceString: "",
  placement: [AI_OUTPUT],
  ...over,
});
const sent = (r: RecordedRequest) => r.body.messages as { role: string; content: string }[];

Deno.test("regex scripts shape stored text, the prompt and impersonation as SillyTavern applies them", async (t) => {
  await using g = await startGenerationHost();
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  await g.lodge.settings.patch([{
    op: "add",
    path: "/extension_settings/regex",
    value: [
      script({
        scriptName: "user caps",
        findRegex: "/please/gi",
        replaceString: "PLEASE",
        placement: [USER_INPUT],
      }),
      script({ scriptName: "no stars", findRegex: "/\\*/g", replaceString: "", placement: [AI_OUTPUT] }),
      script({
        scriptName: "think",
        findRegex: "/hmm/g",
        replaceString: "(thought)",
        placement: [REASONING],
      }),
      script({
        scriptName: "old only",
        findRegex: "/PLEASE/g",
        replaceString: "[old]",
        placement: [USER_INPUT],
        promptOnly: true,
        minDepth: 2,
      }),
      script({ scriptName: "display", findRegex: "/Sure/g", replaceString: "SURE", markdownOnly: true }),
    ],
  }]);

  await t.step("user input and the reply are stored after their scripts", async () => {
    g.fake.enqueue({ kind: "reply", content: ["*Sure*", " thing"], reasoning: "hmm ok" });
    const { index, generation } = await g.rpc.call("sendMessage", "please help");
    assert.equal(chat()[index].mes, "PLEASE help");
    const reply = chat()[generation!.messageIndex!];
    assert.equal(reply.mes, "Sure thing");
    assert.deepEqual(reply.swipes, ["Sure thing"]);
    assert.equal((reply.extra as Record<string, unknown>).reasoning, "(thought) ok");
    // The first request saw the user's message at depth 0: the prompt-only script (minDepth 2) left it.
    assert.ok(sent(g.fake.last).some((m) => m.content === "PLEASE help"));
  });

  await t.step("prompt-only scripts rewrite old history in the request, never the chat", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Fine."] });
    await g.rpc.call("sendMessage", "next");
    const contents = sent(g.fake.last).map((m) => m.content);
    assert.ok(contents.includes("[old] help"), `request history: ${JSON.stringify(contents)}`);
    assert.ok(contents.includes("Sure thing"), "display-only scripts stay out of the prompt");
    assert.ok(chat().some((m) => m.mes === "PLEASE help"), "the stored message is unchanged");
  });

  await t.step("world info entries pass the world-info scripts on their way into the prompt", async () => {
    await g.lodge.worldInfo.save("Lore", {
      entries: {
        0: { uid: 0, key: ["dragon"], content: "The dragon sleeps.", comment: "before" },
        1: {
          uid: 1,
          key: ["dragon"],
          content: "A dragon stirs nearby.",
          position: 4,
          depth: 1,
          comment: "deep",
        },
      },
    });
    await g.lodge.settings.patch([
      { op: "add", path: "/world_info_settings", value: { world_info: { globalSelect: ["Lore"] } } },
      {
        op: "add",
        path: "/extension_settings/regex/-",
        value: script({ scriptName: "wyrm", findRegex: "/dragon/gi", replaceString: "wyrm", placement: [5] }),
      },
    ]);
    g.fake.enqueue({ kind: "reply", content: ["Quiet."] });
    await g.rpc.call("sendMessage", "Is the dragon here?");
    const contents = sent(g.fake.last).map((m) => m.content);
    assert.ok(contents.some((c) => c.includes("The wyrm sleeps.")), `request: ${JSON.stringify(contents)}`);
    assert.ok(contents.some((c) => c.includes("A wyrm stirs nearby.")), "the @depth entry too");
    assert.ok(contents.includes("Is the dragon here?"), "chat messages are not world info");
    const book = g.lodge.worldInfo.get("Lore") as { entries: Record<string, { content: string }> };
    assert.equal(book.entries[0].content, "The dragon sleeps.", "the stored book is unchanged");
  });

  await t.step("an impersonation's line passes the user-input scripts", async () => {
    g.fake.enqueue({ kind: "reply", content: ["please", " go"] });
    const before = chat().length;
    const result = await g.rpc.call("generate", "impersonate");
    assert.equal(result.text, "PLEASE go");
    assert.equal(chat().length, before);
  });
});
