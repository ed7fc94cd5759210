/**
 * Plugin runtime benchmarks, against real sandbox processes and workers:
 * - `roundtrip`: 100 sequential trivial calls from a worker to the host (`getCurrentChatId`), beside 100
 *   raw `postMessage` round trips between this thread and a worker, in the same run: the ratio of the two
 *   is the cost of the sandbox path (worker → sandbox process → socket → host dispatcher and back).
 *   The medians and the ratio printed to stderr come from {@link BLOCKS} blocks of each case, alternated:
 *   within a block, batches run back to back as a plugin's calls do, and the first {@link BLOCK_WARMUP}
 *   are not timed. On a small machine a thread ping-pong settles into a scheduling state (which CPUs the
 *   threads land on, whether a wake-up finds the other CPU asleep) that changes a raw round trip from
 *   about 15 µs, right after other work, to about 65 µs once it runs on, and the calls drift between
 *   states as well: blocks with a warm-up measure both in their steady state, and alternating them
 *   spreads a slower stretch of the machine over both cases. A batch of calls starts and ends with one
 *   event from the host to the worker (one more round trip on top of the 100), which counts against the
 *   calls. The blocks run while the module loads, as the RSS figure does (whatever `--filter` says); two
 *   shorter `Deno.bench` cases of the same batches give the `--json` document its figures.
 * - `pipelined`: 1,000 calls from one worker in flight together (windows of 100).
 * - `emit`: one awaited event to 1, 10 and 50 plugin listeners.
 * - `cold start`: a plugin from its folder to ready, in the shared process and in a new process.
 * RSS per loaded plugin is measured once at start (sandbox process with 50 plugins against one) and
 * printed to stderr as a JSON line.
 * @module
 */

import { type SandboxHarness, startSandboxHarness } from "../tests/support/sandbox-harness.ts";
import { Samples } from "./samples.ts";

// every temporary folder (data dirs, sandbox work dirs) goes under one, removed when the bench ends
const tmp = Deno.makeTempDirSync({ prefix: "lodge-bench-" });
// The environment is the whole bench process's: give the next suite its TMPDIR back at the end.
const savedTmpdir = Deno.env.get("TMPDIR");
Deno.env.set("TMPDIR", tmp);
const samples = new Samples();
const RAW = "100 raw postMessage round trips (baseline)";
const CALLS = "100 trivial calls worker → host, one at a time";
globalThis.addEventListener("unload", () => {
  const ratio = samples.quantile(CALLS, 0.5) / samples.quantile(RAW, 0.5);
  console.error(
    ["plugins:", ...samples.lines(), JSON.stringify({ callOverRawMedianRatio: +ratio.toFixed(2) })].join(
      "\n",
    ),
  );
  if (savedTmpdir === undefined) Deno.env.delete("TMPDIR");
  else Deno.env.set("TMPDIR", savedTmpdir);
  Deno.removeSync(tmp, { recursive: true });
});

const unlimited = {
  limits: { inFlight: 10_000, perSecond: 1e9, burst: 1e9, strikes: 1e9 },
  hangMs: 30_000,
};

const CALLER = `
const ctx = Luker.getContext();
ctx.eventSource.on("bench_sequential", async () => {
  for (let i = 0; i < 100; i++) await ctx.getCurrentChatId();
});
ctx.eventSource.on("bench_pipelined", async () => {
  for (let w = 0; w < 10; w++) await Promise.all(Array.from({ length: 100 }, () => ctx.getCurrentChatId()));
});
`;

const listener = (i: number) => `
const ctx = Luker.getContext();
for (const [event, below] of [["bench_1", 1], ["bench_10", 10], ["bench_50", 50]]) {
  if (${i} < below) ctx.eventSource.on(event, (payload) => { payload.seen++; });
}
`;

const callers = await startSandboxHarness({
  supervisor: unlimited,
  plugins: [
    { id: "caller", files: { "index.js": CALLER } },
    { id: "cold", files: { "index.js": `Luker.getContext().eventSource.on("x", () => {});` } },
    { id: "cold-process", manifest: { isolation: "process" }, files: { "index.js": "" } },
  ],
});

const crowd: SandboxHarness = await startSandboxHarness({
  supervisor: unlimited,
  plugins: Array.from({ length: 50 }, (_, i) => ({
    id: `listener-${String(i).padStart(2, "0")}`,
    files: { "index.js": listener(i) },
  })),
});

async function rssOf(h: SandboxHarness): Promise<number> {
  const [pid] = h.pids();
  const pages = Number((await Deno.readTextFile(`/proc/${pid}/statm`)).split(" ")[1]);
  return pages * 4096;
}
{
  const one = await startSandboxHarness({ plugins: [{ id: "only", files: { "index.js": "" } }] });
  const single = await rssOf(one);
  const fifty = await rssOf(crowd);
  await one.close();
  console.error(JSON.stringify({
    rssOnePluginMiB: +(single / 2 ** 20).toFixed(1),
    rssFiftyPluginsMiB: +(fifty / 2 ** 20).toFixed(1),
    rssPerPluginMiB: +((fifty - single) / 49 / 2 ** 20).toFixed(2),
  }));
}

// the baseline: a worker in this process echoing strings
const echo = new Worker(
  URL.createObjectURL(
    new Blob([`self.onmessage = (e) => self.postMessage(e.data);`], { type: "text/javascript" }),
  ),
  { type: "module" },
);
function rawRoundTrip(frame: string): Promise<unknown> {
  return new Promise((resolve) => {
    echo.onmessage = (e) => resolve(e.data);
    echo.postMessage(frame);
  });
}
const frame = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getCurrentChatId", params: [] });

async function rawBatch(): Promise<void> {
  for (let i = 0; i < 100; i++) await rawRoundTrip(frame);
}
async function callBatch(): Promise<void> {
  await callers.lodge.events.emit("bench_sequential");
}

/** Blocks of each round-trip case, alternated (raw first, then calls first, ...). */
const BLOCKS = 10;
/** Batches a block runs before those it times: the ping-pong settles into its steady state. */
const BLOCK_WARMUP = 10;
/** Timed batches (100 round trips each) per block. */
const BLOCK_BATCHES = 24;
for (let block = 0; block < BLOCKS; block++) {
  const cases: [string, () => Promise<void>][] = [[RAW, rawBatch], [CALLS, callBatch]];
  if (block % 2 === 1) cases.reverse();
  for (const [name, batch] of cases) {
    for (let i = 0; i < BLOCK_WARMUP + BLOCK_BATCHES; i++) {
      const start = performance.now();
      await batch();
      if (i >= BLOCK_WARMUP) samples.record(name, performance.now() - start);
    }
  }
}

// The same batches for the `--json` document (not counted in the medians above).
Deno.bench({ name: RAW, group: "roundtrip", baseline: true, n: 60, fn: rawBatch });
Deno.bench({ name: CALLS, group: "roundtrip", n: 60, fn: callBatch });

Deno.bench("1,000 calls worker → host, 100 in flight", { group: "pipelined" }, async () => {
  await callers.lodge.events.emit("bench_pipelined");
});

for (const n of [1, 10, 50]) {
  Deno.bench(`emit to ${n} plugin listener${n > 1 ? "s" : ""}`, { group: "emit" }, async () => {
    const payload = { seen: 0 };
    await crowd.lodge.events.emit(`bench_${n}`, payload);
    if (payload.seen !== n) throw new Error(`${payload.seen} of ${n} listeners ran`);
  });
}

Deno.bench("cold start to ready: a plugin joining the shared process", { group: "cold start" }, async () => {
  const info = await callers.supervisor.reload("cold");
  if (info.state !== "running") throw new Error(`cold is ${info.state}: ${info.reason}`);
});

Deno.bench("cold start to ready: a plugin in a new sandbox process", { group: "cold start" }, async () => {
  const info = await callers.supervisor.reload("cold-process");
  if (info.state !== "running") throw new Error(`cold-process is ${info.state}: ${info.reason}`);
});
