/**
 * A long chat reaching the plugins: a real host (in this process) with the bundled search plugin and two
 * probe plugins, one sharing the search plugin's sandbox process and one in a process of its own, opens
 * a chat of 100,000 messages (about 48 MB of JSON) again and again, each time from a one-message chat.
 * Per open it measures:
 * - `open → every mirror holds it`: from the call to the moment the last probe's `CHAT_CHANGED` listener
 *   ran (it runs once its worker's copy is whole: the worker holds every frame until then), epoch clocks
 *   compared across processes;
 * - `open returns`: until `openCharacterChat` resolved (it waits for the probes' listeners), and of that
 *   the chat's read from the database (until it is the open chat) and the rest (its way to the workers);
 * - the host's worst event-loop gap from the call until every mirror held the chat (a 1 ms timer loop in
 *   the host's process: what any request waits at most), and the host's CPU time in that span;
 * - each probe's heap (`Deno.memoryUsage().heapUsed` in its worker) once the chat is in, and after a
 *   resync (the old copy and the new one both alive until the old is collected).
 *
 * Medians and p99 go to stderr as JSON lines (shared helper), beside a `long_chat` line with the last
 * open's figures and the heap figures.
 * @module
 */

import { cpuUsage } from "node:process";
import { startHost } from "../main.ts";
import { Samples } from "./samples.ts";
import { longChatMessage } from "../tests/support/long-chat.ts";

const SIZE = 100_000;

/** Notes when its copy first held the long chat (at CHAT_CHANGED) and its heap, for the bench to read. */
const PROBE = `
let seen = null;
const { eventSource, eventTypes } = Luker.getContext();
eventSource.on(eventTypes.CHAT_CHANGED, () => {
  const ctx = Luker.getContext();
  seen = { length: ctx.chat.length, at: performance.timeOrigin + performance.now() };
});
Luker.getContext().registerExtensionApi(PROBE_ID, {
  state() {
    const chat = Luker.getContext().chat;
    return { ...seen, length: chat.length, last: chat.at(-1)?.mes ?? null, heap: Deno.memoryUsage().heapUsed };
  },
  resync() {
    postMessage(JSON.stringify({ jsonrpc: "2.0", method: "$/resync", params: null }));
    return true;
  },
});
`;

const PROBES = [
  { id: "probe-shared", manifest: { display_name: "probe", js: "index.js" } },
  { id: "probe-alone", manifest: { display_name: "probe", js: "index.js", isolation: "process" } },
];

const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-long-chat-" });
await Deno.mkdir(`${dataDir}/plugins`, { recursive: true });
for (const probe of PROBES) {
  await Deno.mkdir(`${dataDir}/plugins/${probe.id}`);
  await Deno.writeTextFile(`${dataDir}/plugins/${probe.id}/manifest.json`, JSON.stringify(probe.manifest));
  await Deno.writeTextFile(
    `${dataDir}/plugins/${probe.id}/index.js`,
    PROBE.replace("PROBE_ID", JSON.stringify(probe.id)),
  );
}
const host = await startHost({ hostname: "127.0.0.1", port: 0, dataDir, token: crypto.randomUUID() });
const { lodge } = host;
const samples = new Samples();
const figures: Record<string, unknown> = {};

const avatar = lodge.context.currentAvatar();
const messages = Array.from({ length: SIZE }, (_, i) => longChatMessage(i));
figures.chat_json_mb = Math.round(JSON.stringify(messages).length / 1e5) / 10;
const header = { user_name: "User", character_name: "Bench", chat_metadata: {} };
lodge.chats.save({ avatar_url: avatar, file_name: "long" }, [header, ...messages]);
lodge.chats.save({ avatar_url: avatar, file_name: "short" }, [header, messages[0]]);
messages.length = 0;

/** A probe's state, through its extension API as any caller would reach it. */
async function probe(id: string, method = "state"): Promise<Record<string, number>> {
  const entry = lodge.extensions.get(id);
  if (!entry) throw new Error(`probe ${id} is not running: ${JSON.stringify(lodge.plugins?.list())}`);
  return await entry.connection.request("extensions.invoke", { name: id, method, args: [] }) as never;
}

/**
 * Runs a 1 ms timer loop until stopped; answers the longest time between two of its turns, ms, and
 * when (epoch ms) the long chat was first the open one (its read from the database done).
 */
function loopGaps(): { stop(): { worst: number; opened: number } } {
  let worst = 0, previous = performance.now(), running = true, opened = NaN;
  const turn = () => {
    const now = performance.now();
    worst = Math.max(worst, now - previous);
    previous = now;
    if (Number.isNaN(opened) && lodge.context.currentChatId() === "long") {
      opened = performance.timeOrigin + now;
    }
    if (running) setTimeout(turn, 1);
  };
  setTimeout(turn, 1);
  return {
    stop() {
      running = false;
      return { worst, opened };
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;

Deno.bench({
  name: `open a ${SIZE}-message chat until every plugin's mirror holds it`,
  n: 5,
  warmup: 1,
  async fn(b) {
    await lodge.context.openCharacterChat("short");
    await new Promise((resolve) => setTimeout(resolve, 300)); // the host idle before each open
    const gaps = loopGaps();
    const cpu = cpuUsage();
    b.start();
    const start = performance.timeOrigin + performance.now();
    await lodge.context.openCharacterChat("long");
    const returned = performance.timeOrigin + performance.now();
    b.end();
    const states = await Promise.all(PROBES.map((p) => probe(p.id)));
    const { worst, opened } = gaps.stop();
    const used = cpuUsage(cpu);
    for (const s of states) if (s.length !== SIZE) throw new Error(`a probe holds ${s.length} messages`);
    const held = Math.max(...states.map((s) => s.at)) - start;
    samples.record("open → every mirror holds it", held);
    samples.record("open returns", returned - start);
    samples.record("open: the chat read from the database", opened - start);
    samples.record("open: from the read to every mirror holding it", held - (opened - start));
    samples.record("host worst event-loop gap during the open", worst);
    samples.record("host CPU during the open", (used.user + used.system) / 1000);
    figures.mirror_holds_it_ms = Math.round(held);
    figures.read_ms = Math.round(opened - start);
    figures.worst_event_loop_gap_ms = Math.round(worst);
    figures.host_cpu_ms = Math.round((used.user + used.system) / 1000);
    for (const [i, s] of states.entries()) figures[`worker_heap_mb_${PROBES[i].id}`] = mb(s.heap);
  },
});

Deno.bench({
  name: "a resync of the long chat (worker heap after it)",
  n: 1,
  warmup: 0,
  async fn() {
    if (lodge.context.currentChatId() !== "long") await lodge.context.openCharacterChat("long");
    await probe("probe-shared", "resync");
    await new Promise((resolve) => setTimeout(resolve, 5000)); // the snapshot goes out in parts
    const state = await probe("probe-shared");
    if (state.length !== SIZE) throw new Error(`the probe holds ${state.length} messages after a resync`);
    figures.worker_heap_mb_after_resync = mb(state.heap);
    const info = lodge.plugins?.list() ?? [];
    figures.plugins = info.map((p) => `${p.id}:${p.state}:${p.crashes}`).join(" ");
  },
});

globalThis.addEventListener("unload", () => {
  console.error(["long chat:", ...samples.lines(), JSON.stringify({ long_chat: figures })].join("\n"));
  void host.close().catch(() => {}); // best effort: the bench process is ending
  Deno.removeSync(dataDir, { recursive: true });
});
