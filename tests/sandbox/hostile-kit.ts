/**
 * Shared parts of the hostile-plugin suite: the in-plugin probe that records each attempt, a
 * well-behaved plugin that must keep answering beside the hostile ones, the host's secret files planted
 * in the data dir, and small waits. Everything runs on the real sandbox harness.
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  type HarnessOptions,
  type PluginFixture,
  type SandboxHarness,
  startSandboxHarness,
} from "../support/sandbox-harness.ts";
import { createApp } from "../../web/app.ts";

/** What the probe recorded for one attempt. */
export interface Attempt {
  ok: boolean;
  value?: string;
  error?: string;
}

/** Every attempt of one report, by name. */
export type Report = Record<string, Attempt>;

/** Budget within which the host and the well-behaved plugin must answer, during and after an attack. */
export const ANSWER_MS = 2_000;

/** The id of the well-behaved plugin loaded beside every hostile one. */
export const GOOD_ID = "good";

/**
 * Code put at the top of a hostile plugin: `attempt(name, fn)` runs `fn` and records whether it worked;
 * `report(tag)` logs the records as one line `TAG {json}` (read back with `h.result(id, tag)`) and
 * starts a fresh set.
 */
export const PROBE = `
const results = {};
const show = (v) => {
  if (typeof v === "string") return v;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
};
async function attempt(name, fn) {
  try {
    const value = await fn();
    results[name] = { ok: true, value: show(value).slice(0, 300) };
  } catch (error) {
    results[name] = { ok: false, error: String(error?.name) + ": " + String(error?.message).slice(0, 300) };
  }
}
function report(tag) {
  console.log(tag + " " + JSON.stringify(results));
  for (const key of Object.keys(results)) delete results[key];
}
`;

/** A plugin whose entry is `index.js` holding `source`. */
export function jsPlugin(
  id: string,
  source: string,
  manifest: Record<string, unknown> = {},
  files: Record<string, string> = {},
): PluginFixture {
  return { id, manifest, files: { "index.js": source, ...files } };
}

/**
 * The well-behaved plugin. It answers `hostile_ping` by logging `pong <nonce> <boot>`; `boot` is new
 * each time its worker starts, so a test can tell a restarted worker from an untouched one.
 */
export function goodPlugin(): PluginFixture {
  return jsPlugin(
    GOOD_ID,
    `const boot = crypto.randomUUID();
Luker.getContext().eventSource.on("hostile_ping", (payload) => { console.log("pong " + payload.nonce + " " + boot); });
console.log("good ready " + boot);
`,
  );
}

/** The secrets the host keeps in its data dir, planted by {@link startHostile}. */
export interface HostFiles {
  /** Content of `<data>/token`. */
  token: string;
  /** A value stored in `<data>/secrets.json` and in a row of `<data>/lodge.db`. */
  secret: string;
}

/** Writes the files the host keeps in its data dir (API token, database, secrets) with fresh values. */
async function plantHostFiles(dataDir: string, files: HostFiles): Promise<void> {
  await Deno.writeTextFile(`${dataDir}/token`, files.token, { mode: 0o600 });
  await Deno.writeTextFile(
    `${dataDir}/secrets.json`,
    JSON.stringify({ api_key_openai: [{ id: "1", label: "main", value: files.secret, active: true }] }),
    { mode: 0o600 },
  );
  const db = new DatabaseSync(`${dataDir}/lodge.db`);
  try {
    db.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)");
    db.prepare("INSERT INTO kv VALUES (?, ?)").run("secret", files.secret);
  } finally {
    db.close();
  }
}

/** A harness with the well-behaved plugin running and the host's secret files in place. */
export interface Hostile {
  h: SandboxHarness;
  files: HostFiles;
}

/**
 * Starts a harness with `plugins`, the well-behaved plugin and the host's secret files, and waits until
 * the well-behaved plugin runs.
 */
export async function startHostile(
  plugins: PluginFixture[],
  options: Omit<HarnessOptions, "plugins"> = {},
): Promise<Hostile> {
  const files: HostFiles = { token: `token-${crypto.randomUUID()}`, secret: `sk-${crypto.randomUUID()}` };
  const h = await startSandboxHarness({
    ...options,
    plugins: [goodPlugin(), ...plugins],
    setup: async (dataDir) => {
      await plantHostFiles(dataDir, files);
      await options.setup?.(dataDir);
    },
  });
  try {
    await h.waitForState(GOOD_ID, "running");
  } catch (error) {
    const states = h.supervisor.list().map((p) => `${p.id}: ${p.state} (${p.reason})`).join("; ");
    const logs = h.logs(GOOD_ID).map((entry) => entry.text).join(" | ");
    await h.close();
    throw new Error(`${(error as Error).message}; plugins: ${states}; ${GOOD_ID} logged: ${logs}`);
  }
  return { h, files };
}

/** Emits an event through the dispatcher, as a token-holding client would. */
export function emit(h: SandboxHarness, event: string, ...args: unknown[]): Promise<unknown> {
  return h.call("eventSource.emit", event, ...args);
}

/** Asserts the host answers a plain call within {@link ANSWER_MS}. */
export async function assertHostAnswers(h: SandboxHarness, when: string): Promise<void> {
  await within(h.call("eventTypes"), ANSWER_MS, `the host did not answer (${when})`);
}

/**
 * Asserts the well-behaved plugin answers a ping within {@link ANSWER_MS}, retrying while its worker
 * restarts, and returns its boot id.
 */
export async function assertGoodAnswers(h: SandboxHarness, when: string): Promise<string> {
  const deadline = performance.now() + ANSWER_MS;
  let lastError: unknown = "no attempt";
  while (performance.now() < deadline) {
    const nonce = crypto.randomUUID();
    try {
      await within(emit(h, "hostile_ping", { nonce }), deadline - performance.now(), "emit");
      // the listener logs before it returns, so its line is in by now, unless no listener was there
      // (a worker restarting): then ping again
      const line = await h.waitForLog(
        GOOD_ID,
        `pong ${nonce} `,
        Math.max(1, Math.min(100, deadline - performance.now())),
      );
      return line.text.split(" ")[2];
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`the well-behaved plugin did not answer within ${ANSWER_MS} ms (${when}): ${lastError}`);
}

/** Asserts no plugin logged `secret`, nor holds it in its state reason. */
export function assertNoLeak(h: SandboxHarness, secret: string): void {
  for (const row of h.supervisor.list()) {
    assert.ok(!row.reason?.includes(secret), `plugin ${row.id}'s reason holds the secret`);
    const leaked = h.logs(row.id).find((entry) => entry.text.includes(secret));
    assert.equal(leaked, undefined, `plugin ${row.id} logged the secret: ${leaked?.text}`);
  }
}

/** Asserts every recorded attempt failed. */
export function assertAllDenied(report: Report): void {
  assert.ok(Object.keys(report).length > 0, "no attempt was recorded");
  for (const [name, entry] of Object.entries(report)) {
    assert.equal(entry.ok, false, `${name} succeeded: ${entry.value}`);
  }
}

/** Asserts an attempt was made and failed. */
export function assertDenied(report: Report, name: string): void {
  const entry = report[name];
  assert.ok(entry, `attempt ${name} was not recorded: ${JSON.stringify(report)}`);
  assert.equal(entry.ok, false, `${name} succeeded: ${entry.value}`);
}

/** Asserts an attempt was made and worked: the control showing a denial is not an accident. */
export function assertAllowed(report: Report, name: string): void {
  const entry = report[name];
  assert.ok(entry, `attempt ${name} was not recorded: ${JSON.stringify(report)}`);
  assert.equal(entry.ok, true, `${name} failed: ${entry.error}`);
}

/** Polls `check` every 25 ms until it returns something other than `undefined`; throws after `timeoutMs`. */
export async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with `promise`, or rejects with `message` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${message}: no answer after ${Math.round(ms)} ms`)),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback HTTP server recording each request's `x-from` header and path. */
export class CountingServer {
  /** Every request seen, oldest first. */
  readonly hits: { from: string; path: string }[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      this.hits.push({ from: req.headers.get("x-from") ?? "-", path: new URL(req.url).pathname });
      // valid module text, so a fetched-and-run import would succeed visibly
      return new Response('export default "served";', { headers: { "content-type": "text/javascript" } });
    });
  }

  /** The bound port. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** How many requests came from `sender`. */
  from(sender: string): number {
    return this.hits.filter((hit) => hit.from === sender).length;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}

/** Latency of `GET /healthz` sampled while an attack runs. */
export interface HealthStats {
  samples: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Slowest answer, ms. */
  max: number;
  /** Requests that failed or answered other than 200. */
  failures: number;
}

/** Fewest `/healthz` samples one measurement takes. */
const MIN_SAMPLES = 10;

/** Budget of the 99th percentile of `/healthz` during an attack, ms. */
export const HEALTH_P99_MS = 100;

/**
 * Samples `GET <url>/healthz` back to back (a pause of `gapMs` between answers) until `stop()`, which
 * resolves with the latency figures. Each request has its own deadline, so a host that stops answering
 * shows as failures, not as a probe that never ends.
 */
export function probeHealth(url: string, gapMs = 10): { stop(): Promise<HealthStats> } {
  const times: number[] = [];
  let failures = 0;
  let over = false;
  const running = (async () => {
    // the first answer pays for the connection and the app's first run: not the attack's doing
    await fetch(`${url}/healthz`).then((res) => res.body?.cancel(), () => failures++);
    while (!over) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  })();
  return {
    async stop() {
      // a short attack still gets a handful of samples, taken right after it
      while (times.length < MIN_SAMPLES) await new Promise((resolve) => setTimeout(resolve, gapMs));
      over = true;
      await running;
      const sorted = [...times].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
      return { samples: sorted.length, p99: at(0.99), max: sorted.at(-1) ?? NaN, failures };
    },
  };
}

/** Asserts the host answered `/healthz` every time during an attack, with the p99 within budget. */
export function assertHealthy(stats: HealthStats, when: string): void {
  assert.ok(stats.samples >= MIN_SAMPLES, `too few /healthz samples ${when}: ${JSON.stringify(stats)}`);
  assert.equal(stats.failures, 0, `/healthz failed ${when}: ${JSON.stringify(stats)}`);
  assert.ok(
    stats.p99 < HEALTH_P99_MS,
    `/healthz p99 ${stats.p99.toFixed(1)} ms over ${HEALTH_P99_MS} ms ${when}: ${JSON.stringify(stats)}`,
  );
}

/**
 * Serves the real web app over the harness's host on a loopback port (for `/healthz` during attacks);
 * dispose the result to stop it.
 */
export function serveHarness(h: SandboxHarness): { url: string } & AsyncDisposable {
  const app = createApp({
    lodge: h.lodge,
    dispatcher: h.dispatcher,
    token: crypto.randomUUID(),
    allowedHosts: () => null,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * Runs `attack` while sampling the harness's `/healthz`, asserts the host stayed healthy, and returns
 * what the attack resolved with.
 */
export async function duringAttack<T>(h: SandboxHarness, what: string, attack: () => Promise<T>): Promise<T> {
  await using served = serveHarness(h);
  const probe = probeHealth(served.url);
  let result: T;
  try {
    result = await attack();
  } catch (error) {
    await probe.stop();
    throw error;
  }
  assertHealthy(await probe.stop(), `during ${what}`);
  return result;
}
