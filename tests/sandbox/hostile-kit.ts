/**
 * Shared parts of the hostile-plugin suite: writing plugin folders, the in-plugin probe that records
 * each attempt, a well-behaved plugin that must keep answering, and waits on plugin state and logs.
 * Everything goes through the real sandbox harness; nothing here stands in for a part of the host.
 * @module
 */

import assert from "node:assert/strict";
import { type SandboxHarness, startSandboxHarness } from "../support/sandbox-harness.ts";

/** A plugin folder to install: its manifest and files (paths relative to the folder). */
export interface PluginSpec {
  id: string;
  manifest: Record<string, unknown>;
  files: Record<string, string>;
}

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
 * Code put at the top of a hostile plugin: `attempt(name, fn)` runs `fn` and records whether it worked,
 * `report(tag)` logs every record as one `TAG {json}` line the test reads back from `plugins.logs`.
 */
export const PROBE = `
const results = {};
const show = (v) => {
  if (typeof v === "string") return v;
  try { return JSON.stringify(v); } catch { return String(v); }
};
async function attempt(name, fn) {
  try {
    const value = await fn();
    results[name] = { ok: true, value: String(show(value)).slice(0, 300) };
  } catch (error) {
    results[name] = { ok: false, error: String(error?.name) + ": " + String(error?.message).slice(0, 300) };
  }
}
function report(tag = "RESULT") {
  console.log(tag + " " + JSON.stringify(results));
  for (const key of Object.keys(results)) delete results[key];
}
`;

/** A plugin whose entry is `index.js` with `source`. */
export function jsPlugin(
  id: string,
  source: string,
  manifest: Record<string, unknown> = {},
  files: Record<string, string> = {},
): PluginSpec {
  return {
    id,
    manifest: { display_name: id, js: "index.js", ...manifest },
    files: { "index.js": source, ...files },
  };
}

/**
 * The well-behaved plugin. It answers `hostile_ping` by logging `pong <nonce> <boot>`, where `boot`
 * changes each time its worker starts, so a test can tell a restart from an untouched worker.
 */
export function goodPlugin(): PluginSpec {
  return jsPlugin(
    GOOD_ID,
    `
const boot = crypto.randomUUID();
const ctx = Luker.getContext();
ctx.eventSource.on("hostile_ping", (payload) => { console.log("pong " + payload.nonce + " " + boot); });
console.log("good ready " + boot);
`,
  );
}

/** Writes one plugin folder under `<plugins>/<id>/`. */
export async function writePlugin(pluginsDir: string, spec: PluginSpec): Promise<string> {
  const dir = `${pluginsDir}/${spec.id}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(spec.manifest, null, 2));
  for (const [path, text] of Object.entries(spec.files)) {
    const file = `${dir}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  return dir;
}

/** A running harness with the helpers the hostile tests share. */
export class Kit {
  /** The harness underneath. */
  readonly h: SandboxHarness;

  private constructor(h: SandboxHarness) {
    this.h = h;
  }

  /** Starts a harness with the given plugins and the well-behaved one, and waits for it to run. */
  static async start(plugins: PluginSpec[], options: { good?: boolean } = {}): Promise<Kit> {
    const all = options.good === false ? plugins : [goodPlugin(), ...plugins];
    const h = await startSandboxHarness({ plugins: all });
    const kit = new Kit(h);
    try {
      if (options.good !== false) await kit.waitState(GOOD_ID, ["running"], 15_000);
    } catch (error) {
      await h.close();
      throw error;
    }
    return kit;
  }

  /** The data directory. */
  get dataDir(): string {
    return this.h.dataDir;
  }

  /** The folder of an installed plugin. */
  pluginDir(id: string): string {
    return `${this.h.dataDir}/plugins/${id}`;
  }

  /** Calls a method through the dispatcher as the token-holding client; rejects with the RPC error. */
  call(method: string, ...params: unknown[]): Promise<unknown> {
    return this.h.call(method, ...params);
  }

  /** Emits an event through the dispatcher (`eventSource.emit`). */
  emit(event: string, ...args: unknown[]): Promise<unknown> {
    return this.call("eventSource.emit", event, ...args);
  }

  /** The `plugins.list` row of a plugin. */
  async info(id: string): Promise<PluginInfoRow> {
    const rows = await this.call("plugins.list") as PluginInfoRow[];
    const row = rows.find((r) => r.id === id);
    assert.ok(row, `plugin ${id} is not listed`);
    return row;
  }

  /** Waits until a plugin is in one of `states`. */
  async waitState(id: string, states: string[], timeoutMs: number): Promise<PluginInfoRow> {
    let last: PluginInfoRow | undefined;
    await until(
      async () => {
        last = await this.info(id);
        return states.includes(last.state);
      },
      timeoutMs,
      () => `plugin ${id} never reached ${states.join("/")}; last: ${JSON.stringify(last)}`,
    );
    return last!;
  }

  /** Every kept log line of a plugin, oldest first. */
  async logs(id: string): Promise<string[]> {
    const entries = await this.call("plugins.logs", id, { limit: 1000 }) as { text: string }[];
    return entries.map((e) => e.text);
  }

  /** Waits for a log line of `id` matching `pattern`, and returns the match. */
  async waitLog(id: string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    let found: RegExpMatchArray | null = null;
    await until(
      async () => {
        for (const line of await this.logs(id)) if ((found = line.match(pattern))) return true;
        return false;
      },
      timeoutMs,
      async () => `no log of ${id} matches ${pattern}; logs: ${(await this.logs(id)).join(" | ")}`,
    );
    return found!;
  }

  /** Waits for the probe's first report tagged `tag` and parses it. */
  async report(id: string, tag = "RESULT", timeoutMs = 15_000): Promise<Report> {
    const match = await this.waitLog(id, new RegExp(`^${tag} (\\{.*\\})$`, "s"), timeoutMs);
    return JSON.parse(match[1]) as Report;
  }

  /** Asserts the host answers a plain call within {@link ANSWER_MS}. */
  async assertHostAnswers(label: string): Promise<void> {
    await within(this.call("getMessageCount"), ANSWER_MS, `host did not answer getMessageCount (${label})`);
  }

  /**
   * Asserts the well-behaved plugin answers a ping within {@link ANSWER_MS} (retrying while it restarts)
   * and returns its boot id.
   */
  async assertGoodAnswers(label: string): Promise<string> {
    const deadline = performance.now() + ANSWER_MS;
    let lastError: unknown;
    while (performance.now() < deadline) {
      const nonce = crypto.randomUUID();
      try {
        await within(this.emit("hostile_ping", { nonce }), deadline - performance.now(), "emit timed out");
        const match = await this.waitLog(
          GOOD_ID,
          new RegExp(`^pong ${nonce} (\\S+)$`),
          deadline - performance.now(),
        );
        return match[1];
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`the well-behaved plugin did not answer within ${ANSWER_MS} ms (${label}): ${lastError}`);
  }

  /** Asserts no plugin's logs hold `secret`. */
  async assertNoLeak(secret: string): Promise<void> {
    const rows = await this.call("plugins.list") as PluginInfoRow[];
    for (const row of rows) {
      const leaked = (await this.logs(row.id)).find((line) => line.includes(secret));
      assert.equal(leaked, undefined, `plugin ${row.id} logged the secret: ${leaked}`);
    }
  }

  /** Stops the harness, its sandbox processes and its temp dir. */
  close(): Promise<void> {
    return this.h.close();
  }

  /** Closes the kit at the end of a `using`-style block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One row of `plugins.list`. */
export interface PluginInfoRow {
  id: string;
  state: string;
  reason: string | null;
  grants: { net: string[]; read: string[]; env: string[] };
}

/** Asserts an attempt was made and failed. */
export function assertDenied(report: Report, name: string): void {
  const entry = report[name];
  assert.ok(entry, `attempt ${name} was not recorded: ${JSON.stringify(report)}`);
  assert.equal(entry.ok, false, `attempt ${name} succeeded: ${entry.value}`);
}

/** Asserts an attempt was made and worked (the control that shows a denial is not an accident). */
export function assertAllowed(report: Report, name: string): void {
  const entry = report[name];
  assert.ok(entry, `attempt ${name} was not recorded: ${JSON.stringify(report)}`);
  assert.equal(entry.ok, true, `attempt ${name} failed: ${entry.error}`);
}

/** Polls `check` every 25 ms until it is true; throws the `message` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: () => string | Promise<string>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    if (await check()) return;
    if (performance.now() >= deadline) throw new Error(await message());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with `promise`, or rejects with `message` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: number | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${Math.round(ms)} ms)`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback HTTP server counting requests by their `x-from` header. */
export class CountingServer {
  /** Requests seen, by `x-from` (or `-`), then path. */
  readonly hits: { from: string; path: string }[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      this.hits.push({ from: req.headers.get("x-from") ?? "-", path: new URL(req.url).pathname });
      return new Response(`ok from ${this.port}`, { headers: { "access-control-allow-origin": "*" } });
    });
  }

  /** The bound port. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Requests from one sender. */
  from(sender: string): number {
    return this.hits.filter((h) => h.from === sender).length;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}
