/**
 * The write path's own cost, measured from a client in ANOTHER process (`bench/load-client.ts`, keep-alive
 * `fetch`), so the numbers are the host's and not a client sharing its event loop:
 *
 * - a one-message edit through `POST /api/chats/patch` in chats of 100, 1,000, 10,000 and 100,000 messages
 *   (target: at most 1 ms median, flat across sizes), beside a read (`POST /api/settings/get`) and the
 *   same edit as SillyTavern's full save (`POST /api/chats/save`);
 * - throughput of `POST /rpc getMessageCount` over 16 connections against a bare Hono JSON echo on
 *   `Deno.serve` in the same run (target: at least 0.8x the echo), alternating short runs of each,
 *   driven by `wrk` (`bench/wrk.ts`; without it by the fetch client, which then bounds both rates).
 *
 * The host runs with its defaults (SQLite WAL, `synchronous = NORMAL`), auth and validation on. Run with
 * `deno bench -A --json bench/write-path.bench.ts`; at exit one JSON line per case and one of targets go
 * to stderr. Each case is one run of the client process, so `deno bench`'s own per-iteration figures for
 * this suite say nothing; read the JSON lines.
 * @module
 */

import { join } from "node:path";
import { cpuUsage } from "node:process";
import { DatabaseSync } from "node:sqlite";
import { Hono } from "hono";
import { startHost } from "../main.ts";
import type { ChatTarget } from "../core/chats.ts";
import type { LoadJob, LoadResult } from "./load-client.ts";
import { Samples } from "./samples.ts";
import { runWrk, wrkAvailable } from "./wrk.ts";

const SIZES = [100, 1_000, 10_000, 100_000] as const;
/** A full save sends the whole chat: past this size one takes seconds (and the body passes 16 MiB). */
const FULL_SAVE_SIZES = new Set<number>([100, 1_000, 10_000]);
const CLIENT = new URL("./load-client.ts", import.meta.url).pathname;

const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-write-" });
const host = await startHost({ hostname: "127.0.0.1", port: 0, dataDir, token: crypto.randomUUID() });
const auth = { authorization: `Bearer ${host.token}` };
const echoApp = new Hono();
echoApp.post("/echo", async (c) => c.json(await c.req.json()));
const echo = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, echoApp.fetch);

const samples = new Samples();
const rates = new Map<string, number[]>();
/** Microseconds of the host process's CPU time per completed request, per run. */
const cpuPerRequest = new Map<string, number[]>();
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

globalThis.addEventListener("unload", () => {
  const lines = samples.lines();
  for (const [name, [us]] of cpuPerRequest) {
    if (!rates.has(name)) lines.push(JSON.stringify({ name, host_cpu_us_per_request: Math.round(us) }));
  }
  for (const [name, values] of rates) {
    lines.push(JSON.stringify({
      name,
      per_second: Math.round(median(values)),
      host_cpu_us_per_request: Math.round(median(cpuPerRequest.get(name) ?? [NaN]) * 10) / 10,
      runs: values.map(Math.round),
    }));
  }
  const ms = (name: string) => Math.round(samples.quantile(name, 0.5) * 1000) / 1000;
  const rate = (name: string) => median(rates.get(name) ?? [NaN]);
  const cpu = (name: string) => median(cpuPerRequest.get(name) ?? [NaN]);
  const targets = {
    patch_median_ms: Object.fromEntries(SIZES.map((n) => [n, ms(`http patch, ${n} messages`)])),
    patch_host_cpu_us: Object.fromEntries(
      SIZES.map((n) => [n, Math.round(cpu(`http patch, ${n} messages`))]),
    ),
    patch_100k_over_100:
      Math.round(ms("http patch, 100000 messages") / ms("http patch, 100 messages") * 100) /
      100,
    read_median_ms: ms("http read (/api/settings/get)"),
    full_save_over_patch_10k: Math.round(
      ms("http full save, 10000 messages") / ms("http patch, 10000 messages"),
    ),
    rpc_over_echo: Math.round(rate(RPC) / rate(ECHO) * 100) / 100,
    throughput_client: useWrk ? "wrk" : "fetch (wrk missing)",
    // what the rate ratio would be if the host were CPU-bound: the echo's CPU cost over the RPC's
    rpc_over_echo_by_cpu: Math.round(cpu(ECHO) / cpu(RPC) * 100) / 100,
  };
  console.error(
    ["write path (client in another process):", ...lines, JSON.stringify({ targets })].join("\n"),
  );
  try {
    host.lodge.close();
  } catch {
    // Already closed.
  }
  Deno.removeSync(dataDir, { recursive: true });
});

/**
 * A bench function that measures once: `deno bench` calls a case a few times even with `n: 1`, and one
 * client run is the measurement.
 */
function once(fn: () => Promise<void>): () => Promise<void> {
  let ran = false;
  return async () => {
    if (ran) return;
    ran = true;
    await fn();
  };
}

/**
 * Runs the load client in a process of its own. `hostCpuUs` is this process's CPU time per request
 * (warm-up included): on a machine shared with other work latency mostly measures the scheduler, the
 * CPU cost is the host's own.
 */
async function load(job: LoadJob): Promise<LoadResult & { hostCpuUs: number }> {
  const before = cpuUsage();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", CLIENT],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const out = await child.output();
  const cpu = cpuUsage(before);
  if (!out.success) throw new Error("the load client failed");
  const result = JSON.parse(new TextDecoder().decode(out.stdout)) as LoadResult;
  if (result.failures) throw new Error(`${result.failures} requests of ${job.url} failed`);
  const connections = job.connections ?? 1;
  const requests = (job.warmup ?? 50) * connections + (result.latency?.length ?? result.completed ?? 0);
  return { ...result, hostCpuUs: (cpu.user + cpu.system) / requests };
}

/** A message about the size of a real one (a paragraph, swipes, metadata). */
function message(i: number): Record<string, unknown> {
  const text = `Message ${i}: ` + "The lodge was quiet except for the fire and the wind outside. ".repeat(5);
  const base = {
    name: i % 2 ? "Guide" : "User",
    is_user: i % 2 === 0,
    is_system: false,
    send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    mes: text,
    extra: { api: "openai", model: "bench-model", token_count: 42 },
  };
  return i % 2 ? { ...base, swipes: [text], swipe_id: 0, swipe_info: [] } : base;
}

const cases = SIZES.map((size) => {
  const target: ChatTarget = { avatar_url: "Bench.png", file_name: `chat-${size}` };
  const header = { user_name: "User", character_name: "Guide", chat_metadata: {} };
  host.lodge.chats.save(target, [header, ...Array.from({ length: size }, (_, i) => message(i))]);
  // an even index: a user message, whose text has no swipes to follow it
  return { size, target, index: (size >> 1) & ~1 };
});

// Building the chats left tens of MB in the WAL: checkpoint and sync it now, so the first cases do not pay
// for moving it into the database file (another connection may checkpoint a WAL database).
{
  const db = new DatabaseSync(join(dataDir, "lodge.db"));
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  using file = await Deno.open(join(dataDir, "lodge.db"), { read: true });
  await file.sync();
}

// Patches first: the O(n) writes of full saves must not slow down a patch case measured after them.
for (const { size, target, index } of cases) {
  const name = `http patch, ${size} messages`;
  Deno.bench({
    name,
    group: "one-message edit, client in another process",
    n: 1,
    warmup: 0,
    fn: once(async () => {
      const body = JSON.stringify({
        ...target,
        operations: [{ op: "replace", path: `/${index}/mes`, value: "edited $N" }],
      });
      const { latency, hostCpuUs } = await load({
        url: `${host.url}/api/chats/patch`,
        headers: auth,
        body,
        mode: "latency",
      });
      for (const ms of latency!) samples.record(name, ms);
      cpuPerRequest.set(name, [hostCpuUs]);
    }),
  });
}

Deno.bench({
  name: "http read (/api/settings/get)",
  group: "one-message edit, client in another process",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    const { latency, hostCpuUs } = await load({
      url: `${host.url}/api/settings/get`,
      headers: auth,
      body: "{}",
      mode: "latency",
    });
    for (const ms of latency!) samples.record("http read (/api/settings/get)", ms);
    cpuPerRequest.set("http read (/api/settings/get)", [hostCpuUs]);
  }),
});

for (const { size, target, index } of cases) {
  if (!FULL_SAVE_SIZES.has(size)) continue;
  const name = `http full save, ${size} messages`;
  Deno.bench({
    name,
    group: "the same edit as a full save, client in another process",
    n: 1,
    warmup: 0,
    fn: once(async () => {
      const chat = host.lodge.chats.get(target)!;
      chat[index + 1] = { ...chat[index + 1], mes: "edited $N" };
      const body = JSON.stringify({ ...target, chat, force: true });
      const count = size >= 10_000 ? 20 : 200;
      const { latency, hostCpuUs } = await load({
        url: `${host.url}/api/chats/save`,
        headers: auth,
        body,
        mode: "latency",
        count,
        warmup: 3,
      });
      for (const ms of latency!) samples.record(name, ms);
      cpuPerRequest.set(name, [hostCpuUs]);
    }),
  });
}

const RPC = "POST /rpc getMessageCount, 16 connections";
const ECHO = "bare Hono JSON echo on Deno.serve, 16 connections";
const rpcBody = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getMessageCount", params: [] });
const useWrk = await wrkAvailable();
if (!useWrk) {
  console.error(
    "write-path bench: wrk not found (apt-get install -y wrk); throughput falls back to a fetch client, " +
      "whose own cost bounds both rates, so rpc_over_echo says little (read rpc_over_echo_by_cpu)",
  );
}
Deno.bench({
  name: "POST /rpc getMessageCount against a bare echo, 16 connections",
  group: "throughput",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    // Alternating short runs, so a change in the machine's load hits both sides alike, after one unmeasured
    // run of each (the JIT). Besides the rate, the host process's CPU time per request: on a machine shared
    // with other work the rate mostly measures the scheduler, the CPU cost per request is the server's own.
    const targets = [[ECHO, `http://127.0.0.1:${echo.addr.port}/echo`, {}], [
      RPC,
      `${host.url}/rpc`,
      auth,
    ]] as const;
    for (let round = -1; round < 5; round++) {
      for (const [name, url, headers] of targets) {
        const { perSecond, hostCpuUs } = useWrk
          ? await wrkRate(url, headers, round < 0 ? 1 : 3)
          : await load({ url, headers, body: rpcBody, mode: "rate", connections: 16, seconds: 2 });
        if (round < 0) continue;
        rates.set(name, [...rates.get(name) ?? [], perSecond!]);
        cpuPerRequest.set(name, [...cpuPerRequest.get(name) ?? [], hostCpuUs]);
      }
    }
  }),
});

/** One wrk run against this process's servers, with this process's CPU time per request. */
async function wrkRate(url: string, headers: Record<string, string>, seconds: number) {
  const before = cpuUsage();
  const result = await runWrk({ url, headers, body: rpcBody, connections: 16, seconds });
  const cpu = cpuUsage(before);
  if (result.non2xx) throw new Error(`${result.non2xx} requests of ${url} were not answered 2xx`);
  return { perSecond: result.perSecond, hostCpuUs: (cpu.user + cpu.system) / result.requests };
}
