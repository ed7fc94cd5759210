/**
 * Generation pipeline benchmarks, against a real host with real sandbox workers and the offline model
 * (no token delay), so what is timed is everything but a model:
 * - `normal turn`: one `generate("normal")` of the open chat, with no plugin and with 3 plugins each
 *   listening (awaited) on every pipeline hook (`GENERATION_STARTED` … `GENERATION_ENDED`, the
 *   per-token `STREAM_TOKEN_RECEIVED` left out: a listener there pays one round trip per token, which
 *   the `per token` line reports apart). The reply is deleted after each turn (not timed), so the chat
 *   stays the same length. `model alone` is the same prompt through `sendOpenAIRequest` with no
 *   listener: `overhead` = turn − model alone (medians).
 * - `first token over WebSocket`: from a socket client's `generate` call to its first
 *   `stream_token_received` notification, streaming on.
 * - CPU time per turn (host process, and its sandbox processes from `/proc`), which a shared machine
 *   disturbs far less than wall time: `cpuPerTurnMs` in the summary.
 * Figures go to stderr as JSON lines (median, p99, rate); the `--json` document has the Deno.bench cases.
 * @module
 */

import process from "node:process";
import { eventTypes } from "../core/event-types.ts";
import { seedPresets } from "../core/presets.ts";
import type { ChatMessage } from "../core/llm/types.ts";
import { createSocketClient } from "../rpc/client.ts";
import { serveRpcSocket } from "../rpc/websocket.ts";
import { type SandboxHarness, startSandboxHarness } from "../tests/support/sandbox-harness.ts";
import { Samples } from "./samples.ts";

const tmp = Deno.makeTempDirSync({ prefix: "lodge-bench-" });
const savedTmpdir = Deno.env.get("TMPDIR");
Deno.env.set("TMPDIR", tmp);
const samples = new Samples();

const HOOKS = [
  "GENERATION_STARTED",
  "GENERATION_AFTER_COMMANDS",
  "GENERATION_CONTEXT_READY",
  "GENERATION_BEFORE_WORLD_INFO_SCAN",
  "GENERATION_AFTER_WORLD_INFO_SCAN",
  "GENERATION_WORLD_INFO_FINALIZED",
  "GENERATE_BEFORE_COMBINE_PROMPTS",
  "GENERATE_AFTER_COMBINE_PROMPTS",
  "CHAT_COMPLETION_PROMPT_READY",
  "GENERATE_AFTER_DATA",
  "GENERATE_TAKEOVER_DISPATCH",
  "GENERATION_BEFORE_API_REQUEST",
  "CHAT_COMPLETION_SETTINGS_READY",
  "MESSAGE_RECEIVED",
  "CHARACTER_MESSAGE_RENDERED",
  "GENERATION_ENDED",
];

const LISTENER = `
const ctx = Luker.getContext();
let calls = 0;
for (const name of ${JSON.stringify(HOOKS)}) ctx.eventSource.on(ctx.eventTypes[name], () => { calls++; });
`;
const TOKEN_LISTENER = `
const ctx = Luker.getContext();
ctx.eventSource.on(ctx.eventTypes.STREAM_TOKEN_RECEIVED, () => {});
`;

const plain = await startSandboxHarness({ llm: { offline: { tokenDelayMs: 0 } } });
const listening = await startSandboxHarness({
  llm: { offline: { tokenDelayMs: 0 } },
  plugins: [1, 2, 3].map((n) => ({ id: `hooks-${n}`, files: { "index.js": LISTENER } })),
});
const tokenListening = await startSandboxHarness({
  llm: { offline: { tokenDelayMs: 0 } },
  plugins: [{ id: "tokens", files: { "index.js": TOKEN_LISTENER } }],
});
for (const h of [listening]) for (const n of [1, 2, 3]) await h.waitForState(`hooks-${n}`, "running");
await tokenListening.waitForState("tokens", "running");
for (const h of [plain, listening, tokenListening]) {
  seedPresets(h.lodge.store);
  h.lodge.presets.patchLive("openai", [{ op: "replace", path: "/stream_openai", value: true }]);
  await h.lodge.context.addMessages({ is_user: true, mes: "Tell me about Lodge in a few words." });
}

/** CPU milliseconds used per harness by the host process and by its sandbox processes, during turns. */
const cpu = new Map<SandboxHarness, { host: number; sandbox: number; turns: number }>();

/** CPU milliseconds the processes have used (clock ticks of 10 ms; 0 where /proc cannot be read). */
function sandboxCpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch { /* not Linux, or gone */ }
  }
  return ticks * 10;
}

/** One timed normal turn; the reply is removed afterwards, untimed. */
async function turn(h: SandboxHarness): Promise<number> {
  const pids = h.pids();
  const hostBefore = process.cpuUsage();
  const sandboxBefore = sandboxCpuMs(pids);
  const start = performance.now();
  const result = await h.lodge.generation.generate("normal");
  const ms = performance.now() - start;
  const host = process.cpuUsage(hostBefore);
  const used = cpu.get(h) ?? { host: 0, sandbox: 0, turns: 0 };
  used.host += (host.user + host.system) / 1000;
  used.sandbox += sandboxCpuMs(pids) - sandboxBefore;
  used.turns++;
  cpu.set(h, used);
  if (result.messageIndex !== null) {
    await h.lodge.context.deleteMessages(result.messageIndex, { silent: true });
  }
  return ms;
}

/** The same request without the pipeline: the model's share of a turn. */
async function modelAlone(h: SandboxHarness, prompt: ChatMessage[]): Promise<number> {
  const start = performance.now();
  await h.lodge.llm.sendOpenAIRequest("normal", prompt, null, { requestScope: "extension_internal" });
  return performance.now() - start;
}

const dry = await plain.lodge.generation.generate("normal", { dryRun: true });
const prompt = dry.prompt!;
const TURNS = 60;
const cases: [string, () => Promise<number>][] = [
  ["normal turn, no plugin", () => turn(plain)],
  ["normal turn, 3 plugins on every hook", () => turn(listening)],
  ["normal turn, 1 plugin on STREAM_TOKEN_RECEIVED", () => turn(tokenListening)],
  ["model alone (same prompt, sendOpenAIRequest)", () => modelAlone(plain, prompt)],
];
for (let round = 0; round < TURNS + 5; round++) {
  for (const [name, run] of cases) {
    const ms = await run();
    if (round >= 5) samples.record(name, ms); // the first rounds warm up
  }
}
const tokensPerReply = (await plain.lodge.generation.generate("normal")).text.match(/\S+\s*|\s+/g)?.length ??
  0;

// first token to a WebSocket subscriber
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req);
  serveRpcSocket(socket, plain.dispatcher, { caller: { kind: "client", connectionId: "bench" } });
  return response;
});
const client = await createSocketClient(`ws://127.0.0.1:${server.addr.port}/`);
let firstToken: (() => void) | null = null;
await client.on(eventTypes.STREAM_TOKEN_RECEIVED, () => {
  firstToken?.();
  firstToken = null;
});
const FIRST = "first token over WebSocket";
for (let round = 0; round < TURNS + 5; round++) {
  const got = Promise.withResolvers<void>();
  firstToken = got.resolve;
  const start = performance.now();
  const done = client.call("generate", "normal");
  await got.promise;
  const ms = performance.now() - start;
  const result = await done as { messageIndex: number | null };
  if (round >= 5) samples.record(FIRST, ms);
  if (result.messageIndex !== null) {
    await plain.lodge.context.deleteMessages(result.messageIndex, { silent: true });
  }
}

const median = (name: string) => samples.quantile(name, 0.5);
const perTurn = (h: SandboxHarness) => {
  const used = cpu.get(h)!;
  return { host: +(used.host / used.turns).toFixed(2), sandbox: +(used.sandbox / used.turns).toFixed(2) };
};
const model = median("model alone (same prompt, sendOpenAIRequest)");
const summary = {
  overheadNoPluginMs: +(median("normal turn, no plugin") - model).toFixed(2),
  overhead3PluginsMs: +(median("normal turn, 3 plugins on every hook") - model).toFixed(2),
  perTokenListenerMs:
    +((median("normal turn, 1 plugin on STREAM_TOKEN_RECEIVED") - median("normal turn, no plugin")) /
      Math.max(1, tokensPerReply)).toFixed(3),
  tokensPerReply,
  firstTokenOverWebSocketMs: +median(FIRST).toFixed(2),
  cpuPerTurnMs: { noPlugin: perTurn(plain), threePlugins: perTurn(listening) },
  loadAverage: Deno.loadavg(),
  targets: { overhead3PluginsMs: 25, firstTokenMs: 50 },
};

Deno.bench({ name: "normal turn, no plugin", group: "turn", n: 100, fn: async () => void await turn(plain) });
Deno.bench({
  name: "normal turn, 3 plugins on every hook",
  group: "turn",
  n: 100,
  fn: async () => void await turn(listening),
});

globalThis.addEventListener("unload", () => {
  void client.close();
  void server.shutdown();
  console.error(["generation:", ...samples.lines(), JSON.stringify(summary)].join("\n"));
  if (savedTmpdir === undefined) Deno.env.delete("TMPDIR");
  else Deno.env.set("TMPDIR", savedTmpdir);
  Deno.removeSync(tmp, { recursive: true });
});
