/**
 * Persistence benchmark: editing one message of a chat of 100, 1,000, 10,000 and 100,000 messages,
 *
 * - through `POST /api/chats/patch` on a real host on loopback (HTTP + auth + zod + core + SQLite),
 * - through `core/` directly (`lodge.chats.patch`),
 * - and, for comparison, the same edit done as a full save of the whole chat (`lodge.chats.save` and
 *   `POST /api/chats/save`).
 *
 * All chats live in one real SQLite file (WAL, the default `synchronous = NORMAL`) in a temp data folder; building them
 * happens at module load, outside every measured function. Run with `deno task bench` (JSON output);
 * targets: the 100,000-message edit within 2x of the 100-message edit, and at 10,000 messages the patch at
 * least 100x faster than the full save.
 * @module
 */

import { join } from "node:path";
import { startHost } from "../main.ts";
import type { ChatTarget } from "../core/chats.ts";
import { Samples } from "./samples.ts";

const SIZES = [100, 1_000, 10_000, 100_000] as const;
/** Full saves are O(n); past this size one iteration takes seconds (and HTTP bodies pass 16 MiB). */
const FULL_SAVE_SIZES = new Set<number>([100, 1_000, 10_000]);

const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-" });
const host = await startHost({ hostname: "127.0.0.1", port: 0, dataDir, token: crypto.randomUUID() });
const { lodge } = host;
const auth = { "content-type": "application/json", authorization: `Bearer ${host.token}` };

const samples = new Samples();
const median = (name: string) => samples.quantile(name, 0.5);

// Benches have no afterAll: report medians and clean up when the bench process ends. The summary goes to
// stderr so stdout stays the machine-readable `--json` document.
globalThis.addEventListener("unload", () => {
  const lines = samples.lines();
  const ratio = (a: string, b: string) => Math.round((median(a) / median(b)) * 100) / 100;
  const targets = {
    core_100k_over_100: ratio("core patch, 100000 messages", "core patch, 100 messages"),
    http_100k_over_100: ratio("http patch, 100000 messages", "http patch, 100 messages"),
    core_full_save_over_patch_10k: ratio("core full save, 10000 messages", "core patch, 10000 messages"),
    http_full_save_over_patch_10k: ratio("http full save, 10000 messages", "http patch, 10000 messages"),
  };
  console.error(["medians (persistence):", ...lines, JSON.stringify({ targets })].join("\n"));
  try {
    lodge.close();
  } catch {
    // Already closed.
  }
  Deno.removeSync(dataDir, { recursive: true });
});

/** A message about the size of a real one (a paragraph, swipes, metadata). */
function message(i: number): Record<string, unknown> {
  const text = `Message ${i}: ` + "The lodge was quiet except for the fire and the wind outside. ".repeat(5);
  return {
    name: i % 2 ? "Guide" : "User",
    is_user: i % 2 === 0,
    is_system: false,
    send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    mes: text,
    swipes: i % 2 ? [text] : undefined,
    swipe_id: i % 2 ? 0 : undefined,
    extra: { api: "openai", model: "bench-model", token_count: 42 },
  };
}

async function postJson(path: string, body: unknown): Promise<void> {
  const res = await fetch(host.url + path, { method: "POST", headers: auth, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
}

/** What each size's benches need: the chat's target, the message they edit, a fresh text per call. */
const cases = SIZES.map((size) => {
  const target: ChatTarget = { avatar_url: "Bench.png", file_name: `chat-${size}` };
  const header = { user_name: "User", character_name: "Guide", chat_metadata: {} };
  lodge.chats.save(target, [header, ...Array.from({ length: size }, (_, i) => message(i))]);
  let counter = 0;
  return { size, target, index: size >> 1, edit: () => `edited ${++counter}` };
});

// Setup wrote tens of MB; flush them now so the first cases do not pay for that writeback in their fsyncs.
for (const file of ["lodge.db", "lodge.db-wal"]) {
  using f = await Deno.open(join(dataDir, file), { read: true });
  await f.sync();
}

// Benches run in registration order: every patch case first, then the full saves, so the O(n) writes of
// a full save (hundreds of MB through the WAL at 10,000 messages) cannot slow down a patch case measured
// right after them.
for (const { size, target, index, edit } of cases) {
  Deno.bench({
    name: `core patch, ${size} messages`,
    group: "edit via core (lodge.chats.patch)",
    baseline: size === 100,
    fn: samples.timed(`core patch, ${size} messages`, () => {
      lodge.chats.patch(target, [{ op: "replace", path: `/${index}/mes`, value: edit() }]);
    }),
  });
}

for (const { size, target, index, edit } of cases) {
  Deno.bench({
    name: `http patch, ${size} messages`,
    group: "edit via POST /api/chats/patch",
    baseline: size === 100,
    fn: samples.timedAsync(`http patch, ${size} messages`, async () => {
      await postJson("/api/chats/patch", {
        ...target,
        operations: [{ op: "replace", path: `/${index}/mes`, value: edit() }],
      });
    }),
  });
}

for (const { size, target, index, edit } of cases) {
  if (!FULL_SAVE_SIZES.has(size)) continue;
  // The client's copy of the chat, edited in place: a full save sends all of it every time.
  const copy = lodge.chats.get(target)!;
  const slow = size >= 10_000 ? { n: 30, warmup: 3 } : {};
  Deno.bench({
    name: `core full save, ${size} messages`,
    group: "the same edit as a full save via core (lodge.chats.save)",
    ...slow,
    fn: samples.timed(`core full save, ${size} messages`, () => {
      copy[index + 1] = { ...copy[index + 1], mes: edit() };
      lodge.chats.save(target, copy, { force: true });
    }),
  });
  Deno.bench({
    name: `http full save, ${size} messages`,
    group: "the same edit as a full save via POST /api/chats/save",
    ...slow,
    fn: samples.timedAsync(`http full save, ${size} messages`, async () => {
      copy[index + 1] = { ...copy[index + 1], mes: edit() };
      await postJson("/api/chats/save", { ...target, chat: copy, force: true });
    }),
  });
}
