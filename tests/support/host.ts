/**
 * Helpers that run a REAL Lodge host for tests: in-process through `startHost` (port 0, a fresh temp data
 * folder) or as a child process running `main.ts` (for CLI, lock and kill tests), plus small
 * authenticated HTTP helpers. Nothing here is a mock: requests go over loopback to the real Hono app and
 * the real SQLite file.
 *
 * ```ts
 * const host = await startTestHost();
 * try {
 *   const res = await host.post("/api/chats/recent", {});
 *   assert.equal(res.status, 200);
 * } finally {
 *   await host.close(); // stops the server and removes the temp data folder
 * }
 * ```
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { type HostOptions, type RunningHost, startHost } from "../../main.ts";

/** Absolute path of the repository root (where `main.ts` lives). */
export const REPO_ROOT: string = fromFileUrl(new URL("../../", import.meta.url));

/** Absolute path of `main.ts`. */
export const MAIN_TS: string = fromFileUrl(new URL("../../main.ts", import.meta.url));

/**
 * A decoded HTTP answer: status, headers and the body parsed as JSON (or the raw text when not JSON).
 * `body` defaults to `any` because tests read fields of many different route answers.
 */
// deno-lint-ignore no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of {@link post} and {@link request}. */
export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`; omit for an unauthenticated request. */
  token?: string;
  /** Extra headers (e.g. `cookie`). */
  headers?: Record<string, string>;
  /** HTTP method for {@link request}; default GET. */
  method?: string;
  /** A raw body sent as is (for bodies that are not JSON, or oversized ones). */
  rawBody?: BodyInit;
  /** Follow redirects (default: no, so tests can see `Set-Cookie` on the 303). */
  redirect?: RequestRedirect;
}

/**
 * Sends a request to `baseUrl + path` and decodes the answer. The body is always consumed, so no test
 * leaks a response stream.
 */
export async function request(
  baseUrl: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  const res = await fetch(baseUrl + path, {
    method: options.method ?? "GET",
    headers,
    body: options.rawBody,
    redirect: options.redirect ?? "manual",
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (the index page, for one): keep the text.
  }
  return { status: res.status, headers: res.headers, body };
}

/** POSTs `body` as JSON to `baseUrl + path` (authenticated when `options.token` is given). */
export function post(
  baseUrl: string,
  path: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers = { "content-type": "application/json", ...options.headers };
  return request(baseUrl, path, {
    ...options,
    method: "POST",
    headers,
    rawBody: options.rawBody ?? JSON.stringify(body),
  });
}

/** An in-process host on a temp data folder, with authenticated helpers. */
export interface TestHost {
  /** The running host (its `lodge` gives direct access to core services for setup and read-back). */
  host: RunningHost;
  /** `http://127.0.0.1:<port>` */
  url: string;
  token: string;
  /** The temp data folder. */
  dataDir: string;
  /** Authenticated JSON POST to `url + path`. */
  post(path: string, body: unknown, options?: RequestOptions): Promise<ApiResponse>;
  /** Authenticated request with any method; use the free {@link request} for unauthenticated calls. */
  request(path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Stops the host and removes the data folder (unless `keepData`). Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link startTestHost}. */
export interface TestHostOptions extends Omit<HostOptions, "dataDir" | "port"> {
  /** Reuse this data folder instead of a fresh temp one (it is then not removed on close). */
  dataDir?: string;
  /** Keep the temp data folder on close (e.g. to restart on it). */
  keepData?: boolean;
}

/**
 * Starts a host in this process via `startHost` on `127.0.0.1`, port 0, a fresh temp data folder and a
 * random token (first-run seeding happens as in production; the bundled plugins are installed only with
 * `bundledPlugins: true`).
 */
export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "lodge-test-" });
  let host: RunningHost;
  try {
    host = await startHost({
      hostname: options.hostname ?? "127.0.0.1",
      port: 0,
      dataDir,
      token: options.token ?? crypto.randomUUID(),
      maxBodyBytes: options.maxBodyBytes,
      visitCa: options.visitCa,
      // tests start with no plugin unless they ask (each bundled one is a worker to start)
      bundledPlugins: options.bundledPlugins ?? false,
    });
  } catch (error) {
    if (ownDir) await Deno.remove(dataDir, { recursive: true });
    throw error;
  }
  let closed = false;
  return {
    host,
    url: host.url,
    token: host.token,
    dataDir,
    post: (path, body, opts = {}) => post(host.url, path, body, { token: host.token, ...opts }),
    request: (path, opts = {}) => request(host.url, path, { token: host.token, ...opts }),
    async close() {
      if (closed) return;
      closed = true;
      await host.close();
      if (ownDir && !options.keepData) await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A host running as a child `deno run -A main.ts` process. */
export interface ChildHost {
  child: Deno.ChildProcess;
  pid: number;
  /** `http://127.0.0.1:<port>` (from the start line). */
  url: string;
  /** The token printed in the start line. */
  token: string;
  /** The whole start line as printed. */
  startLine: string;
  /** Authenticated JSON POST to `url + path`. */
  post(path: string, body: unknown, options?: RequestOptions): Promise<ApiResponse>;
  /** Sends a signal (e.g. `SIGKILL`) and waits for the process to exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
}

/** Options of {@link spawnHost} and {@link runCli}. */
export interface SpawnOptions {
  /** Extra environment; `LODGE_TOKEN` is removed unless given here. */
  env?: Record<string, string>;
  /** How long to wait for the start line. Default 30 s. */
  startTimeoutMs?: number;
  /** More command-line arguments, after `--data` (e.g. `["--synchronous", "full"]`). */
  args?: string[];
}

function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  // Backtraces would pollute the stderr that tests read; a stray token would change the token source.
  delete env.RUST_BACKTRACE;
  delete env.LODGE_TOKEN;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** `deno run -A main.ts ...args` with a clean environment and piped output. */
function mainCommand(args: string[], options: SpawnOptions): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `main.ts` with `args` to completion and returns its exit code and output (for `--help`, refusals). */
export async function runCli(
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await mainCommand(args, options).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Starts `deno run -A main.ts --port 0 --data <dataDir>` and resolves once it printed
 * `Lodge listening on http://HOST:PORT/?token=...`. Its stdout and stderr are drained in the background,
 * so the child never blocks on a full pipe. Always end it with `kill()` (SIGTERM by default).
 */
export async function spawnHost(dataDir: string, options: SpawnOptions = {}): Promise<ChildHost> {
  const child = mainCommand(
    ["--host", "127.0.0.1", "--port", "0", "--data", dataDir, ...options.args ?? []],
    options,
  ).spawn();
  let errText = "";
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errText += chunk;
  })();
  const started = Promise.withResolvers<string>();
  let outText = "";
  const outDone = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      outText += chunk;
      const line = /^Lodge listening on .*$/m.exec(outText);
      if (line) started.resolve(line[0]);
    }
    started.reject(new Error(`host exited before listening; stderr:\n${errText}`));
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no start line within ${options.startTimeoutMs ?? 30_000} ms`)),
      options.startTimeoutMs ?? 30_000,
    );
  });
  let exited: Deno.CommandStatus | null = null;
  const statusPromise = child.status.then((s) => (exited = s));
  const kill = async (signal: Deno.Signal = "SIGTERM") => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // Already gone between the check and the kill.
      }
    }
    const status = await statusPromise;
    await Promise.all([outDone, errDone]);
    return status;
  };
  let startLine: string;
  try {
    startLine = await Promise.race([started.promise, timeout]);
  } catch (error) {
    await kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const match = /(http:\/\/\S+?)\/\?token=(\S+)/.exec(startLine);
  if (!match) {
    await kill("SIGKILL");
    throw new Error(`cannot parse start line: ${startLine}`);
  }
  const [, url, token] = match;
  return {
    child,
    pid: child.pid,
    url,
    token,
    startLine,
    post: (path, body, opts = {}) => post(url, path, body, { token, ...opts }),
    kill,
    stderr: () => errText,
  };
}

/**
 * Sends one raw HTTP/1.1 request over TCP (for headers `fetch` will not let a caller set, such as a
 * foreign `Host`) and returns the status code and the raw response text.
 */
export async function rawHttp(port: number, head: string): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    let text = "";
    const buf = new Uint8Array(64 * 1024);
    const dec = new TextDecoder();
    // `Connection: close` in the request makes the server end the stream after one answer.
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? NaN);
    return { status, text };
  } finally {
    conn.close();
  }
}
