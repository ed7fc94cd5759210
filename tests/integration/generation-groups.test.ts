/**
 * Group chats: the next speakers by the group's activation strategy (list order, natural order with
 * mentions and talkativeness, manual, pooled), muted members never speaking, the wrapper and draft
 * events, each drafted member speaking once per round, and `generation_mode` joining the cards.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { ActivationStrategy, GenerationMode } from "../../core/generation/mod.ts";
import type { ChatMessage } from "../../core/store.ts";
import { type GenerationHost, startGenerationHost } from "../support/generation-host.ts";

const NAMES = ["Alice", "Bob", "Cleo"];

/** Makes the three members (talkativeness as given) and a group over them, and opens its chat. */
async function openGroup(g: GenerationHost, fields: Record<string, unknown>, talkativeness = 0.5) {
  const avatars = NAMES.map((name) =>
    g.lodge.characters.create({
      name,
      description: `${name} is a member of the party.`,
      extensions: { talkativeness },
    }).avatar
  );
  const group = await g.lodge.characters.createGroup({ name: "Party", members: avatars, ...fields });
  await g.lodge.context.openGroupChat(String(group.id));
  return { avatars, group };
}

const chat = (g: GenerationHost): ChatMessage[] => g.lodge.chats.messages(g.lodge.context.record!.id);
const speakers = (g: GenerationHost, from: number) =>
  chat(g).slice(from).filter((m) => !m.is_user).map((m) => m.name);

Deno.test("list order: every unmuted member once, in order, with the wrapper events", async () => {
  await using g = await startGenerationHost();
  const { avatars } = await openGroup(g, {
    activation_strategy: ActivationStrategy.LIST,
    disabled_members: [],
  });
  await g.lodge.characters.editGroup(String(g.lodge.context.snapshot().groupId), {
    disabled_members: [avatars[1]],
  });
  const events: unknown[] = [];
  g.lodge.events.on(eventTypes.GROUP_WRAPPER_STARTED, (data: unknown) => events.push(["started", data]));
  g.lodge.events.on(eventTypes.GROUP_MEMBER_DRAFTED, (chid: number) => events.push(["drafted", chid]));
  g.lodge.events.on(eventTypes.GROUP_WRAPPER_FINISHED, () => events.push(["finished"]));
  const from = chat(g).length;
  const { generation } = await g.rpc.call("sendMessage", "Hello everyone");
  assert.deepEqual(speakers(g, from), ["Alice", "Cleo"], "Bob is muted");
  assert.equal(generation?.replies.length, 2);
  const characters = g.lodge.characters.all();
  const chid = (name: string) => characters.findIndex((c) => c.name === name);
  assert.deepEqual(events.map((e) => (e as unknown[])[0]), ["started", "drafted", "drafted", "finished"]);
  assert.deepEqual(events.slice(1, 3), [["drafted", chid("Alice")], ["drafted", chid("Cleo")]]);
  const alice = chat(g).find((m) => m.name === "Alice")!;
  assert.equal(alice.original_avatar, avatars[0]);
  const last = g.fake.last.body.messages as { role: string; content: string }[];
  assert.ok(last.some((m) => m.content.startsWith("Cleo is a member")), "Cleo speaks with her own card");
  assert.ok(!last.some((m) => m.content.startsWith("Alice is a member")), "swap mode sends one card");
  assert.ok(last.some((m) => m.role === "assistant" && m.content.startsWith("Alice: ")), "names in history");
});

Deno.test("natural order: a mentioned member answers; talkativeness drafts the rest; no self-reply", async () => {
  await using g = await startGenerationHost();
  await openGroup(g, { activation_strategy: ActivationStrategy.NATURAL }, 0);
  let from = chat(g).length;
  await g.rpc.call("sendMessage", "What do you think, bob?");
  assert.deepEqual(speakers(g, from), ["Bob"]);
  // nobody is chatty and nobody is named in Bob's reply, so an automatic turn drafts nobody
  from = chat(g).length;
  const result = await g.rpc.call("generate", "normal");
  assert.deepEqual(result.replies, []);
  for (const avatar of g.lodge.characters.all().map((c) => c.avatar)) {
    await g.lodge.characters.edit(avatar, { extensions: { talkativeness: 1 } });
  }
  from = chat(g).length;
  await g.rpc.call("sendMessage", "Anyone?");
  assert.deepEqual([...speakers(g, from)].sort(), NAMES, "talkativeness 1 drafts everyone once");
});

Deno.test("manual: the user's message drafts nobody; an explicit generation drafts one", async () => {
  await using g = await startGenerationHost();
  await openGroup(g, { activation_strategy: ActivationStrategy.MANUAL });
  let from = chat(g).length;
  await g.rpc.call("sendMessage", "Hello?");
  assert.deepEqual(speakers(g, from), []);
  from = chat(g).length;
  await g.rpc.call("generate", "normal");
  assert.equal(speakers(g, from).length, 1);
  const bob = g.lodge.characters.all().findIndex((c) => c.name === "Bob");
  from = chat(g).length;
  await g.rpc.call("generate", "normal", { force_chid: bob });
  assert.deepEqual(speakers(g, from), ["Bob"]);
});

Deno.test("pooled: members who have not spoken since the user go first", async () => {
  await using g = await startGenerationHost();
  await openGroup(g, { activation_strategy: ActivationStrategy.POOLED });
  const from = chat(g).length;
  await g.rpc.call("sendMessage", "Round");
  await g.rpc.call("generate", "normal");
  await g.rpc.call("generate", "normal");
  const round = speakers(g, from);
  assert.deepEqual([...round].sort(), NAMES, "each member once before anyone twice");
  await g.rpc.call("generate", "normal");
  const fourth = speakers(g, from)[3];
  assert.notEqual(fourth, round[2], "not the last speaker again");
});

Deno.test("join mode sends every member's card; swipe keeps the last speaker", async () => {
  await using g = await startGenerationHost();
  await openGroup(g, {
    activation_strategy: ActivationStrategy.LIST,
    generation_mode: GenerationMode.APPEND,
  });
  await g.rpc.call("sendMessage", "Hi");
  const sent = g.fake.last.body.messages as { role: string; content: string }[];
  const cards = sent.find((m) => m.content.includes("Alice is a member"))!;
  assert.match(cards.content, /Bob is a member/);
  assert.match(cards.content, /Cleo is a member/);
  const count = chat(g).length;
  await g.rpc.call("generate", "swipe");
  assert.equal(chat(g).length, count);
  assert.equal(chat(g).at(-1)!.name, "Cleo");
  assert.equal((chat(g).at(-1)!.swipes as string[]).length, 2);
});

Deno.test("join modes: muted members' cards only with 'join with muted', in list order, with prefix and suffix", async () => {
  await using g = await startGenerationHost();
  const { avatars, group } = await openGroup(g, {
    activation_strategy: ActivationStrategy.LIST,
    generation_mode: GenerationMode.APPEND,
    generation_mode_join_prefix: "[<FIELDNAME> of {{char}}]",
    generation_mode_join_suffix: "[end of {{char}}]",
  });
  const id = String(group.id);
  for (const [i, name] of NAMES.entries()) {
    await g.lodge.characters.edit(avatars[i], { personality: `${name} is {{char}}-like.` });
  }
  // depth prompts: Alice's and muted Bob's (Cleo has none)
  for (const [i, prompt] of [[0, "{{char}} keeps secrets."], [1, "{{char}} hums."]] as const) {
    await g.lodge.characters.writeExtensionField(avatars[i], "depth_prompt", {
      prompt,
      depth: 1,
      role: "system",
    });
  }
  await g.lodge.characters.editGroup(id, { disabled_members: [avatars[1]] });
  const sentText = (from: number) =>
    g.fake.requests.slice(from).map((r) =>
      (r.body.messages as { content: string }[]).map((m) => m.content).join("\n")
    );
  const description = (name: string) =>
    `[Description of ${name}]\n${name} is a member of the party.\n[end of ${name}]`;

  let from = g.fake.requests.length;
  await g.rpc.call("sendMessage", "Hi");
  const join = sentText(from);
  assert.equal(join.length, 2, "Alice and Cleo speak, Bob is muted");
  for (const text of join) {
    assert.ok(text.includes(`${description("Alice")}\n${description("Cleo")}`), text);
    assert.ok(!text.includes("Bob is a member"), "join leaves the muted member's card out");
    assert.ok(text.includes("[Personality of Cleo]\nCleo is Cleo-like.\n[end of Cleo]"), text);
    assert.ok(text.includes("Alice keeps secrets."), "the joined members' depth prompts, each as itself");
    assert.ok(!text.includes("Bob hums."));
  }

  from = g.fake.requests.length;
  const bob = g.lodge.characters.all().findIndex((c) => c.avatar === avatars[1]);
  await g.rpc.call("generate", "normal", { force_chid: bob });
  assert.ok(sentText(from)[0].includes(description("Bob")), "the muted speaker's own card is in");
  assert.ok(sentText(from)[0].includes("Bob hums."), "and its depth prompt");

  await g.lodge.characters.editGroup(id, { generation_mode: GenerationMode.APPEND_DISABLED });
  from = g.fake.requests.length;
  await g.rpc.call("sendMessage", "Hi again");
  const withMuted = sentText(from);
  assert.equal(withMuted.length, 2, "muted members still do not speak");
  for (const text of withMuted) {
    assert.ok(
      text.includes([description("Alice"), description("Bob"), description("Cleo")].join("\n")),
      text,
    );
    assert.ok(text.includes("Bob is Bob-like."), "the muted member's personality too");
    assert.ok(text.includes("Alice keeps secrets.") && text.includes("Bob hums."), "and both depth prompts");
  }
});

Deno.test("a muted member speaks when forced (force_chid, /trigger) and is never drafted automatically", async () => {
  await using g = await startGenerationHost();
  const { avatars, group } = await openGroup(g, { activation_strategy: ActivationStrategy.NATURAL }, 1);
  await g.lodge.characters.editGroup(String(group.id), { disabled_members: [avatars[1]] });
  const characters = g.lodge.characters.all();
  const bob = characters.findIndex((c) => c.name === "Bob");
  let from = chat(g).length;
  for (const text of ["Hello, Bob", "Bob, are you there?", "Anyone?"]) await g.rpc.call("sendMessage", text);
  await g.rpc.call("generate", "normal");
  assert.ok(speakers(g, from).length >= 4, "the others answered");
  assert.ok(!speakers(g, from).includes("Bob"), "Bob is muted: named and chatty, still never drafted");

  from = chat(g).length;
  const forced = await g.rpc.call("generate", "normal", { force_chid: bob });
  assert.deepEqual(forced.replies.map((r) => r.name), ["Bob"]);
  assert.deepEqual(speakers(g, from), ["Bob"]);
  assert.equal(chat(g).at(-1)!.original_avatar, avatars[1]);

  for (const [arg, name] of [["Bob", "Bob"], ["1", "Bob"], ["cle", "Cleo"], ["0", "Alice"]]) {
    from = chat(g).length;
    const r = await g.rpc.call("runSlashCommand", `/trigger ${arg}`);
    assert.equal(r.ok, true, `/trigger ${arg}`);
    assert.deepEqual(speakers(g, from), [name], `/trigger ${arg}`);
  }
  const count = chat(g).length;
  const missing = await g.rpc.call("runSlashCommand", "/trigger Zed");
  assert.equal(missing.ok, false);
  assert.match(String(missing.error), /no member "Zed"/);
  const outsider = g.lodge.characters.create({ name: "Outsider" }).avatar;
  const outside = g.lodge.characters.all().findIndex((c) => c.avatar === outsider);
  await assert.rejects(g.rpc.call("generate", "normal", { force_chid: outside }), /not a member/);
  assert.equal(chat(g).length, count, "a bad member changes nothing");
});
