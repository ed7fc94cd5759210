/**
 * A 100,000-message chat (over 40 Mi characters of JSON) opened on a real host with the bundled search
 * plugin and a probe plugin running: both stay running (no crash, no quarantine), the probe's mirror
 * holds the whole chat with its last message, writes made while the chat is still on its way to the
 * workers (an append, an edit, nested ops inside messages) reach it exactly once, a resync the worker
 * asks for brings the whole chat again, and the host keeps answering `/healthz` throughout (the worst
 * gap between answers is asserted with a generous bound; the real figures are in
 * `bench/long-chat.bench.ts`).
 */

import assert from "node:assert/strict";
import { startTestHost, type TestHost } from "../support/host.ts";
import { longChatMessage } from "../support/long-chat.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";

const SIZE = 100_000;

/**
 * Reports what its mirror holds through an extension API, and on every event and tick checks that the
 * chat it sees is whole: its length is the small chat's or at least the long one's, never in between.
 */
const PROBE = `
const torn = [];
const look = (tag) => {
  const ctx = Luker.getContext();
  const chat = ctx.chat;
  if (chat.length !== ctx.getMessageCount()) torn.push(tag + ": chat.length " + chat.length + " != count " + ctx.getMessageCount());
  if (chat.length > 10 && chat.length < ${SIZE}) torn.push(tag + ": a chat of " + chat.length + " messages");
};
const { eventSource, eventTypes } = Luker.getContext();
for (const e of [eventTypes.CHAT_CHANGED, eventTypes.CHAT_LOADED, eventTypes.MESSAGE_RECEIVED, eventTypes.MESSAGE_UPDATED]) {
  eventSource.on(e, () => look(e));
}
setInterval(() => look("tick"), 50);
Luker.getContext().registerExtensionApi("probe", {
  state() {
    look("state");
    const ctx = Luker.getContext();
    const chat = ctx.chat;
    const last = chat[chat.length - 1];
    const middle = chat[50000];
    return {
      chatId: ctx.chatId,
      length: chat.length,
      last: last?.mes ?? null,
      swipesAtEnd: chat[${SIZE - 1}]?.swipes?.length ?? null,
      middleExtra: middle?.extra ? { ...middle.extra } : null,
      torn,
    };
  },
  resync() {
    postMessage(JSON.stringify({ jsonrpc: "2.0", method: "$/resync", params: null }));
    return true;
  },
});
`;

/** Calls a host method over `POST /rpc`. */
async function rpc(host: TestHost, method: string, ...params: unknown[]): Promise<unknown> {
  const res = await host.post("/rpc", { jsonrpc: "2.0", id: 1, method, params });
  assert.equal(res.status, 200);
  if (res.body.error) throw new Error(`${method}: ${JSON.stringify(res.body.error)}`);
  return res.body.result;
}

/** Asks `/healthz` in a loop until stopped; answers the longest time between two answers, ms. */
function probeHealth(url: string): { stop(): Promise<number> } {
  let running = true;
  let worst = 0;
  const loop = (async () => {
    let previous = performance.now();
    while (running) {
      await (await fetch(`${url}/healthz`)).body?.cancel();
      const now = performance.now();
      worst = Math.max(worst, now - previous);
      previous = now;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return worst;
    },
  };
}

interface ProbeState {
  chatId: string;
  length: number;
  last: string | null;
  swipesAtEnd: number | null;
  middleExtra: Record<string, unknown> | null;
  torn: string[];
}

async function waitFor(
  host: TestHost,
  what: string,
  ok: (s: ProbeState) => boolean,
  timeoutMs = 60_000,
): Promise<ProbeState> {
  const until = performance.now() + timeoutMs;
  let state: ProbeState | undefined;
  while (performance.now() < until) {
    state = await rpc(host, "extensions.call", "probe", "state").catch(() => undefined) as ProbeState;
    if (state && ok(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const plugins = host.host.lodge.plugins?.list().map((p) => `${p.id}:${p.state}:${p.reason}`);
  throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(state)}; ${plugins}`);
}

Deno.test({
  name: "a 100,000-message chat reaches the plugins' mirrors while the host keeps serving",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-long-chat-" });
    await writePluginFolder(dataDir, { id: "probe", files: { "index.js": PROBE } });
    const host = await startTestHost({ dataDir, bundledPlugins: true });
    let health: { stop(): Promise<number> } | null = null;
    try {
      const { lodge } = host.host;
      const admin = lodge.plugins!;
      assert.deepEqual(admin.list().map((p) => [p.id, p.state]).sort(), [
        ["probe", "running"],
        ["search", "running"],
      ]);
      const avatar = lodge.context.currentAvatar();
      const header = { user_name: "User", character_name: "Bench", chat_metadata: {} };
      const messages = Array.from({ length: SIZE }, (_, i) => longChatMessage(i));
      assert.ok(JSON.stringify(messages).length > 40 * 2 ** 20, "the chat is over 40 Mi characters");
      lodge.chats.save({ avatar_url: avatar, file_name: "long" }, [header, ...messages]);
      const before = await waitFor(host, "the probe answers", (s) => s.length < 10);

      health = probeHealth(host.url);
      // Not awaited: its CHAT_CHANGED waits for the probe, which waits for the whole chat. One write
      // lands while the host reads the chat, the others once it is open and on its way to the workers:
      // each must show in the mirror exactly once.
      const opened = lodge.context.openCharacterChat("long");
      const key = { kind: "character" as const, owner: avatar, file: "long" };
      await new Promise((resolve) => setTimeout(resolve, 30)); // the host reads the chat in batches
      await lodge.context.patchChat(key, [{ op: "add", path: "/50000/extra/tag", value: "nested edit" }]);
      while (lodge.context.currentChatId() !== "long") await new Promise((resolve) => setTimeout(resolve, 1));
      const appended = rpc(host, "addMessages", {
        is_user: false,
        name: "Bench",
        mes: "appended while loading",
      });
      const patched = lodge.context.patchChat(key, [
        { op: "add", path: `/${SIZE - 1}/swipes/-`, value: "another swipe" },
      ]);
      await Promise.all([opened, appended, patched]);
      const seen = await waitFor(
        host,
        "the probe's mirror holds the long chat",
        (s) => s.length === SIZE + 1,
      );
      const worst = await health.stop();
      health = null;

      assert.equal(seen.chatId, "long");
      assert.equal(seen.last, "appended while loading");
      assert.deepEqual(seen.middleExtra, { tag: "nested edit" });
      assert.equal(before.length < 10, true);
      assert.deepEqual(seen.torn, [], "the chat a plugin read was never half there");
      // the long chat's last message got exactly one more swipe, on the host and in the mirror
      assert.equal((lodge.context.getMessage(SIZE - 1)!.swipes as string[]).length, 2);
      assert.equal(seen.swipesAtEnd, 2);

      await rpc(host, "addMessages", { is_user: true, mes: "after the load" });
      const after = await waitFor(host, "an append reaches the probe", (s) => s.length === SIZE + 2);
      assert.equal(after.last, "after the load");

      // a resync the worker asks for brings the whole chat again (the edits included)
      await rpc(host, "extensions.call", "probe", "resync");
      await rpc(host, "updateMessages", { index: SIZE + 1, patch: { mes: "edited after the resync" } });
      const resynced = await waitFor(
        host,
        "the resync and the edit after it",
        (s) => s.last === "edited after the resync",
      );
      assert.equal(resynced.length, SIZE + 2);
      assert.deepEqual(resynced.middleExtra, { tag: "nested edit" });
      assert.equal(resynced.swipesAtEnd, 2);
      assert.deepEqual(resynced.torn, []);

      for (const p of admin.list()) {
        assert.equal(p.state, "running", `${p.id}: ${p.reason}`);
        assert.equal(p.crashes, 0, `${p.id} crashed: ${JSON.stringify(p.lastCrash)}`);
      }
      assert.ok(worst < 1000, `the host answered /healthz within 1 s throughout (worst gap ${worst} ms)`);
    } finally {
      await health?.stop();
      await host.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
