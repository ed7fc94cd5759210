/**
 * The plugin worker's synchronous reads of its context copy, and what keeping that copy current costs.
 * The context is built as a worker builds it (`createContext` over a real {@link Mirror}, remote
 * surface and channel), in this thread, so only the read path is timed, not a worker round trip:
 * - `read`: one pass of `ctx.chat[i].mes` over every message, for 10,000 and 100,000 messages, beside
 *   `for (const m of ctx.chat)`, `ctx.chat.map(...)`, `ctx.getMessage(i).mes` and the same pass with
 *   `ctx.chat` read once into a variable, over 10,000; and, as the floor and the ceiling of an indexed
 *   read, the same pass over a bare `Proxy` with no traps around a plain array of plain messages (what
 *   V8 charges for any proxy's integer-keyed read) and over that plain array itself, at both sizes;
 * - `update`: the mirror taking one message edit (`replace /chat/<i>/mes`), one append, and a burst of
 *   100 edits, each followed by a read (the copy applies ops when next read); and one edit followed by
 *   a plugin's read through `ctx.chat[i]`, through `getMessage(i)`, and by a `for...of` over the whole
 *   chat (which makes the views of the new copy's elements), at 10,000 and 100,000 messages.
 *
 * Each case prints its wall-clock median and, as `<name> [cpu]`, its process CPU time per call
 * (`process.cpuUsage`), steadier than wall time on a shared machine.
 * @module
 */

import * as Comlink from "comlink";
import { Channel } from "../plugins/worker/channel.ts";
import { eventTypes } from "../core/event-types.ts";
import { createContext } from "../plugins/worker/context.ts";
import { createContextExtras } from "../plugins/worker/compat/mod.ts";
import { createPresets } from "../plugins/worker/presets.ts";
import { callHost, createRpcEndpoint } from "../plugins/worker/endpoint.ts";
import { WorkerEventSource } from "../plugins/worker/events.ts";
import { WorkerExtensions } from "../plugins/worker/extensions.ts";
import { createSendOpenAIRequest } from "../plugins/worker/llm.ts";
import { createEditorHandles } from "../plugins/worker/takeover.ts";
import { Mirror } from "../plugins/worker/mirror.ts";
import { createRemoteSurface } from "../plugins/worker/remote.ts";
import { WorkerTools } from "../plugins/worker/tools.ts";
import { createPromptApi } from "../plugins/worker/prompt.ts";
import { createRegexProviders } from "../plugins/worker/regex.ts";
import { WorkerSlashCommands } from "../plugins/worker/slash.ts";
import { cpuUsage } from "node:process";
import { Samples } from "./samples.ts";

const samples = new Samples();
addEventListener("unload", () => console.error(["mirror:", ...samples.lines()].join("\n")));

/** `fn` timed by wall clock (`name`) and by process CPU time (`name [cpu]`). */
function timed(name: string, fn: () => void): () => void {
  return () => {
    const cpu = cpuUsage();
    const start = performance.now();
    fn();
    const wall = performance.now() - start;
    const used = cpuUsage(cpu);
    samples.record(name, wall);
    samples.record(`${name} [cpu]`, (used.user + used.system) / 1000);
  };
}

function message(i: number): Record<string, unknown> {
  const mes = `message ${i}: ${"lorem ipsum ".repeat(8)}`;
  return {
    name: i % 2 ? "Assistant" : "User",
    is_user: i % 2 === 0,
    send_date: 1_700_000_000_000 + i,
    mes,
    swipes: [mes],
    swipe_id: 0,
    extra: { model: "bench" },
  };
}

/** A context over a mirror of a chat of `count` messages, wired as the worker bootstrap wires one. */
function contextOf(count: number) {
  const channel = new Channel(() => {}); // the reads send nothing
  const report = (error: unknown) => console.error(error);
  const mirror = new Mirror({
    chat: Array.from({ length: count }, (_, i) => message(i)),
    characters: [],
    groups: [],
    chat_metadata: {},
    presets: { toolCalling: { supported: false } },
  }, report);
  const remote = createRemoteSurface(
    Comlink.wrap(createRpcEndpoint(channel)),
    [],
    (method, args) => callHost(channel, method, args),
  );
  const ctx = createContext({
    compat: createContextExtras({ id: "bench", settings: null, channel, mirror, report }),
    channel,
    mirror,
    eventSource: new WorkerEventSource(channel, report),
    eventTypes,
    extensions: new WorkerExtensions(channel, {}, report),
    presets: createPresets(channel, mirror, remote),
    tools: new WorkerTools(channel, () => ({ supported: false }) as never),
    sendOpenAIRequest: createSendOpenAIRequest(channel, report),
    createMessageEditorHandle: createEditorHandles(channel, report),
    prompt: createPromptApi(channel, mirror, (method, args) => callHost(channel, method, args), report),
    registerManagedRegexProvider: createRegexProviders(channel),
    slash: new WorkerSlashCommands(channel),
    remote,
  }) as unknown as { chat: { mes: string }[]; getMessage(i: number): { mes: string } };
  return { ctx, mirror };
}

let sink = 0;
for (const count of [10_000, 100_000]) {
  const { ctx } = contextOf(count);
  const label = count.toLocaleString("en");
  const name = `ctx.chat[i].mes over ${label} messages`;
  Deno.bench({
    name,
    group: `read ${label}`,
    baseline: true,
    fn: timed(name, () => {
      for (let i = 0; i < ctx.chat.length; i++) sink += ctx.chat[i].mes.length;
    }),
  });
  const plain = Array.from({ length: count }, (_, i) => message(i)) as { mes: string }[];
  const plainName = `plain array: chat[i].mes over ${label} messages`;
  Deno.bench({
    name: plainName,
    group: `read ${label}`,
    fn: timed(plainName, () => {
      for (let i = 0; i < plain.length; i++) sink += plain[i].mes.length;
    }),
  });
  const bare = new Proxy(plain, {});
  const bareName = `bare Proxy over a plain array: chat[i].mes over ${label} messages`;
  Deno.bench({
    name: bareName,
    group: `read ${label}`,
    fn: timed(bareName, () => {
      for (let i = 0; i < bare.length; i++) sink += bare[i].mes.length;
    }),
  });
  if (count !== 10_000) continue;
  const ofName = `for (const m of ctx.chat) m.mes over ${label} messages`;
  Deno.bench({
    name: ofName,
    group: `read ${label}`,
    fn: timed(ofName, () => {
      for (const m of ctx.chat) sink += m.mes.length;
    }),
  });
  const mapName = `ctx.chat.map((m) => m.mes) over ${label} messages`;
  Deno.bench({
    name: mapName,
    group: `read ${label}`,
    fn: timed(mapName, () => {
      sink += ctx.chat.map((m) => m.mes).length;
    }),
  });
  const heldName = `const chat = ctx.chat; chat[i].mes over ${label} messages`;
  Deno.bench({
    name: heldName,
    group: `read ${label}`,
    fn: timed(heldName, () => {
      const chat = ctx.chat;
      for (let i = 0; i < chat.length; i++) sink += chat[i].mes.length;
    }),
  });
  const viewName = `ctx.getMessage(i).mes over ${label} messages`;
  Deno.bench({
    name: viewName,
    group: `read ${label}`,
    fn: timed(viewName, () => {
      for (let i = 0; i < count; i++) sink += ctx.getMessage(i).mes.length;
    }),
  });
}

for (const count of [10_000, 100_000]) {
  const { mirror } = contextOf(count);
  const label = count.toLocaleString("en");
  let n = 0;
  // the mirror applies ops when the copy is next read: each case reads once, as a plugin would
  const editName = `one message edit, then a read, at ${label} messages`;
  Deno.bench({
    name: editName,
    group: "update",
    fn: timed(editName, () => {
      mirror.update({ ops: [{ op: "replace", path: `/chat/${n++ % count}/mes`, value: `edit ${n}` }] });
      sink += (mirror.get("chat") as unknown[]).length;
    }),
  });
  // what a plugin pays: the chat's view follows the new copy (unchanged messages keep their views)
  const viewName = `one message edit, then ctx.chat[i].mes, at ${label} messages`;
  const viewed = contextOf(count);
  Deno.bench({
    name: viewName,
    group: "update",
    fn: timed(viewName, () => {
      const i = n++ % count;
      viewed.mirror.update({ ops: [{ op: "replace", path: `/chat/${i}/mes`, value: `edit ${n}` }] });
      sink += viewed.ctx.chat[i].mes.length;
    }),
  });
  const messageName = `one message edit, then ctx.getMessage(i).mes, at ${label} messages`;
  const messaged = contextOf(count);
  Deno.bench({
    name: messageName,
    group: "update",
    fn: timed(messageName, () => {
      const i = n++ % count;
      messaged.mirror.update({ ops: [{ op: "replace", path: `/chat/${i}/mes`, value: `edit ${n}` }] });
      sink += messaged.ctx.getMessage(i).mes.length;
    }),
  });
  // a walk over the whole new copy makes its elements' views: one pass, unchanged ones taken by index
  const walkName = `one message edit, then for...of over ctx.chat, at ${label} messages`;
  const walked = contextOf(count);
  Deno.bench({
    name: walkName,
    group: "update",
    fn: timed(walkName, () => {
      walked.mirror.update({
        ops: [{ op: "replace", path: `/chat/${n++ % count}/mes`, value: `edit ${n}` }],
      });
      for (const m of walked.ctx.chat) sink += m.mes.length;
    }),
  });
  const appendName = `one append, then a read, at ${label} messages`;
  const appended = contextOf(count).mirror;
  Deno.bench({
    name: appendName,
    group: "update",
    fn: timed(appendName, () => {
      appended.update({ ops: [{ op: "add", path: "/chat/-", value: message(n++) }] });
      sink += (appended.get("chat") as unknown[]).length;
    }),
  });
  const burstName = `100 message edits, then a read, at ${label} messages`;
  Deno.bench({
    name: burstName,
    group: "update",
    fn: timed(burstName, () => {
      for (let i = 0; i < 100; i++) {
        mirror.update({ ops: [{ op: "replace", path: `/chat/${n++ % count}/mes`, value: `edit ${n}` }] });
      }
      sink += (mirror.get("chat") as unknown[]).length;
    }),
  });
}

addEventListener("unload", () => {
  if (sink < 0) console.log(sink); // keeps the reads from being optimised away
});
