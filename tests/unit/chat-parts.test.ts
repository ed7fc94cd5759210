/**
 * A long chat's way to a worker in parts: the host's serializer (`plugins/chat-parts.ts`) and the
 * worker's {@link PartAssembler} behind a real {@link Channel} put the same chat back together (whole
 * messages and one message cut into text pieces, a surrogate pair cut in two), frames sent meanwhile wait
 * behind the head in order while the heartbeat is answered at once, transfers interleave; and the host's
 * `chatAtThisMoment()` array keeps its moment whatever is written to the chat afterwards, nested ops
 * inside messages included.
 */

import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { ChatTransfer, type PartRecipients, prepareChat, withChat } from "../../plugins/chat-parts.ts";
import { Channel } from "../../plugins/worker/channel.ts";
import { PeerMethod } from "../../rpc/peer-methods.ts";

const messages = Array.from(
  { length: 50 },
  (_, i) => ({ mes: `message ${i} ${"x".repeat(i * 3)}`, extra: {} }),
);

/** A worker's channel: what it handles and what it posts back. */
function worker() {
  const posted: string[] = [];
  const seen: { method: string; params: unknown }[] = [];
  const channel = new Channel((frame) => posted.push(frame));
  channel.onRawRequest(PeerMethod.PING, () => "[1,2,3]");
  for (const method of [PeerMethod.MIRROR, PeerMethod.EXTENSIONS]) {
    channel.onNotification(method, (params) => seen.push({ method, params }));
  }
  channel.onRequest(PeerMethod.LOAD, (params) => {
    seen.push({ method: PeerMethod.LOAD, params });
    return { ok: true };
  });
  return { channel, posted, seen };
}

/** Part recipients that feed a worker's channel directly, frame by frame; its acknowledgements are checked. */
function into({ channel, posted }: { channel: Channel; posted: string[] }): PartRecipients {
  return {
    send: (frame) => (channel.receive(frame), true),
    drained: () => Promise.resolve(),
    acked(id, count) {
      const acks = posted.filter((f) => f === `{"jsonrpc":"2.0","method":"$/part","params":{"id":${id}}}`);
      assert.ok(acks.length >= count, `${acks.length} of ${count} parts acknowledged`);
      return Promise.resolve();
    },
  };
}

/** A recipient that keeps the frames. */
function collect(frames: string[]): PartRecipients {
  return {
    send: (f) => (frames.push(f), true),
    drained: () => Promise.resolve(),
    acked: () => Promise.resolve(),
  };
}

Deno.test("a short chat travels inline in its frame", () => {
  const chat = prepareChat(messages);
  assert.ok(!(chat instanceof ChatTransfer));
  assert.equal(chat.json, JSON.stringify(messages));
  assert.deepEqual(prepareChat([]), { json: "[]" });
  assert.equal(
    withChat('{"snapshot":{"name1":"Ada","chat":[]}}', chat.json),
    `{"snapshot":{"name1":"Ada","chat":${chat.json}}}`,
  );
  assert.throws(() => withChat('{"chat":[],"x":1}', "[]"), /last value/);
});

Deno.test("a long chat comes back whole after its head, whatever waited behind it", async () => {
  const long = "\u{1F600}".repeat(300); // 600 UTF-16 units: cut into pieces, one pair cut in two
  const chat = [...messages.slice(0, 20), { mes: long, extra: { big: true } }, ...messages.slice(20)];
  const transfer = prepareChat(chat, 251);
  assert.ok(transfer instanceof ChatTransfer);
  const w = worker();
  const { channel, posted, seen } = w;
  const head = JSON.stringify({
    pluginId: "p",
    ...{ parts: transfer.announce("/mirror/chat") },
    mirror: { chat: [] },
  });
  channel.receive(`{"jsonrpc":"2.0","id":"h1","method":"load","params":${head}}`);
  // sent after the head: they wait for it, the heartbeat does not
  channel.receive(
    `{"jsonrpc":"2.0","method":"mirror","params":{"ops":[{"op":"add","path":"/chat/-","value":1}]}}`,
  );
  channel.receive(`{"jsonrpc":"2.0","id":"h2","method":"ping","params":null}`);
  assert.equal(seen.length, 0);
  assert.deepEqual(posted, ['{"jsonrpc":"2.0","id":"h2","result":[1,2,3]}']);
  const pinged = posted.length;
  const frames: string[] = [];
  await transfer.send([into(w), collect(frames)]);
  assert.ok(frames.length > 5, `${frames.length} parts`);
  assert.ok(frames.some((f) => f.includes('"more":true')), "the long message went in pieces");
  assert.ok(frames.at(-1)!.endsWith(',"done":true}}'));
  const acks = posted.filter((f) => f.includes('"method":"$/part"'));
  assert.equal(acks.length, frames.length, "every part acknowledged");
  assert.equal(seen.length, 2);
  assert.equal(seen[0].method, PeerMethod.LOAD);
  assert.deepEqual(seen[0].params, { pluginId: "p", mirror: { chat } });
  assert.deepEqual(seen[1], {
    method: PeerMethod.MIRROR,
    params: { ops: [{ op: "add", path: "/chat/-", value: 1 }] },
  });
  assert.equal(posted.length - pinged, frames.length + 1);
  assert.equal(posted.at(-1), '{"jsonrpc":"2.0","id":"h1","result":{"ok":true}}');
  // with nothing held, frames pass at once again
  channel.receive(`{"jsonrpc":"2.0","method":"extensions","params":{}}`);
  assert.deepEqual(seen[2], { method: PeerMethod.EXTENSIONS, params: {} });
});

Deno.test("interleaved transfers each complete their own head, in the order the heads came", async () => {
  const first = prepareChat(messages, 200) as ChatTransfer;
  const second = prepareChat(messages.slice(0, 30).reverse(), 200) as ChatTransfer;
  const w = worker();
  const { channel, seen } = w;
  const head = (t: ChatTransfer) =>
    `{"jsonrpc":"2.0","method":"mirror","params":{"parts":${
      JSON.stringify(t.announce("/ops/0/value"))
    },"ops":[{"op":"replace","path":"/chat","value":[]}]}}`;
  channel.receive(head(first));
  channel.receive(head(second));
  // the second chat's parts all arrive before the first's
  await second.send([into(w)]);
  assert.equal(seen.length, 0);
  await first.send([into(w)]);
  const chats = seen.map((s) => (s.params as { ops: { value: unknown }[] }).ops[0].value);
  assert.deepEqual(chats, [messages, messages.slice(0, 30).reverse()]);
});

Deno.test("a recipient that is gone stops the transfer", async () => {
  const transfer = prepareChat(messages, 100) as ChatTransfer;
  let sent = 0;
  await transfer.send([{ ...collect([]), send: () => ++sent < 3 }]);
  assert.equal(sent, 3);
});

Deno.test("the chat array of a moment stays that moment's after writes", async () => {
  const lodge = new Lodge(openSqliteStore(":memory:"));
  seedDefaults(lodge);
  await lodge.context.selectCharacterById(0);
  await lodge.context.addMessages([{ mes: "one", is_user: true }, { mes: "two" }]);
  const moment = lodge.context.chatAtThisMoment();
  const before = JSON.stringify(moment);
  const key = lodge.context.record!.key;
  await lodge.context.patchChat(key, [
    { op: "add", path: "/1/extra/tag", value: "x" },
    { op: "add", path: "/2/swipes/-", value: "two again" },
    { op: "replace", path: "/2/mes", value: "two edited" },
  ]);
  await lodge.context.addMessages({ mes: "three" });
  await lodge.context.deleteMessages(0);
  lodge.context.previewMessage(lodge.context.record!.id, 1, { mes: "streaming" });
  assert.equal(JSON.stringify(moment), before, "nothing written since changed the moment's messages");
  assert.equal((lodge.context.getMessage(0)!.extra as Record<string, unknown>).tag, "x");
  assert.equal((lodge.context.getMessage(1)!.swipes as string[]).length, 2);
  assert.equal(lodge.context.getMessage(1)!.mes, "streaming");
  lodge.close();
});
