/**
 * One sandbox process as the host sees it: spawned with `deno run --no-prompt --cached-only`, a V8 heap
 * cap and only the permissions its plugins were granted, connected to the host over a private Unix
 * socket (workers share the process's stdio, so stdio carries no frames), killed by PID.
 * @module
 */

import { LineWriter, readLines } from "../core/lines.ts";
import {
  FRAME_MARK,
  type HostEnvelope,
  MAX_FRAME_CHARS,
  type SandboxEnvelope,
  type SequenceItem,
  type WorkerPermissions,
} from "./sandbox/protocol.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const ENTRY = `${ROOT}/plugins/sandbox/main.ts`;
/** The worker bootstrap's folder: the sandbox process reads it to start workers. */
const WORKER_DIR = `${ROOT}/plugins/worker`;
/**
 * The dependency-free host modules (and engine folders) the bootstrap imports: a worker's static imports
 * are checked against this process's grants. Nothing else of the host's code is in reach (type-only
 * imports are erased and need no grant). The engines are pure: the worker runs the host's own code.
 */
const SHARED_MODULES = [
  "core/macros",
  "core/prompt",
  "core/tokens",
  "core/worldinfo",
  "core/errors.ts",
  "core/json.ts",
  "core/regex/types.ts",
  "core/names.ts",
  "rpc/errors.ts",
  "rpc/peer-methods.ts",
].map((path) => `${ROOT}/${path}`);
/** Kept from the end of the process's stderr, to name the cause of a crash. */
const STDERR_TAIL = 8192;

/** What a sandbox process may do: the union of its plugins' grants (absolute read paths). */
export interface ProcessGrants {
  read: string[];
  net: string[];
  env: string[];
}

/** How a sandbox process ended. */
export interface ExitInfo {
  code: number;
  signal: string | null;
  /** The end of its stderr (V8's out-of-memory report lands here). */
  stderr: string;
}

/**
 * Makes a Deno cache folder for sandbox processes at `target`: the host's module caches linked in, and a
 * plain file where Deno keeps web storage, so the Cache API (which needs no permission) cannot persist
 * anything. Returns `target`.
 */
export async function makeSandboxDenoDir(denoPath: string, target: string): Promise<string> {
  const info = await new Deno.Command(denoPath, {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const real = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  await Deno.mkdir(target, { mode: 0o700 });
  for await (const entry of Deno.readDir(real)) {
    // only folders: SQLite caches stay private, never shared through a link with their journals elsewhere
    if (entry.isDirectory && entry.name !== "location_data") {
      await Deno.symlink(`${real}/${entry.name}`, `${target}/${entry.name}`);
    }
  }
  await Deno.writeTextFile(`${target}/location_data`, "");
  return target;
}

/** Options of {@link SandboxProcess.start}. */
export interface SandboxProcessOptions {
  grants: ProcessGrants;
  /** V8 old-space cap, per isolate, in MiB. */
  heapMb: number;
  /** A private (0700) folder for the socket. */
  socketDir: string;
  /** The Deno cache folder the process uses (see {@link makeSandboxDenoDir}). */
  denoDir: string;
  /** The `deno` executable. */
  denoPath: string;
  /** How long the process may take to connect. */
  connectTimeoutMs: number;
  /** Receives every envelope, in order, until the process is killed. */
  onEnvelope: (envelope: SandboxEnvelope) => void;
  /** Receives text the process (or a worker, bypassing the console) wrote to stdout or stderr. */
  onOutput: (text: string) => void;
  /**
   * Runs before each envelope is written: the owner may write envelopes of its own first (coalesced
   * updates that must reach the workers ahead of anything sent after them).
   */
  beforeWrite?: () => void;
}

let sockets = 0;

/** A running sandbox process. */
export class SandboxProcess {
  /** The OS process id. */
  readonly pid: number;
  /** What the process was started with. */
  readonly grants: ProcessGrants;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<ExitInfo>;
  #child: Deno.ChildProcess;
  #conn: Deno.UnixConn;
  #out: LineWriter;
  #killed = false;
  #beforeWrite: () => void;
  #sent: Record<HostEnvelope[0], number> = { spawn: 0, m: 0, mc: 0, kill: 0, seq: 0 };

  private constructor(child: Deno.ChildProcess, conn: Deno.UnixConn, options: SandboxProcessOptions) {
    this.pid = child.pid;
    this.grants = options.grants;
    this.#child = child;
    this.#conn = conn;
    this.#out = new LineWriter(conn);
    this.#beforeWrite = options.beforeWrite ?? (() => {});
    let stderr = "";
    const drain = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        if (keep) stderr = (stderr + text).slice(-STDERR_TAIL);
        options.onOutput(text);
      }
    };
    const outputs = Promise.all([drain(child.stdout, false), drain(child.stderr, true)]).catch(() => {});
    readLines(conn, (line) => {
      if (!this.#killed) options.onEnvelope(JSON.parse(line) as SandboxEnvelope);
    }, MAX_FRAME_CHARS * 2 + 1024)
      .catch(() => {}) // a broken stream means the process is going; `exited` reports how
      .finally(() => {
        this.#out.close();
        // the socket closed but the process lingers: it is of no use to anyone
        if (!this.#killed) this.kill();
      });
    this.exited = child.status.then(async (status) => {
      await outputs;
      return { code: status.code, signal: status.signal, stderr };
    });
  }

  /** Spawns a sandbox process and waits for it to connect. */
  static async start(options: SandboxProcessOptions): Promise<SandboxProcess> {
    const socket = `${options.socketDir}/s${++sockets}.sock`;
    const listener = Deno.listen({ transport: "unix", path: socket });
    const { read, net, env } = options.grants;
    const list = (items: string[]) => {
      const bad = items.find((item) => item.includes(","));
      if (bad) throw new Error(`a grant may not contain a comma: ${bad}`);
      return items.join(",");
    };
    const args = [
      "run",
      "--no-prompt",
      "--cached-only",
      `--config=${ROOT}/deno.json`,
      `--v8-flags=--max-old-space-size=${options.heapMb}`,
      `--allow-read=${list([...read, WORKER_DIR, ...SHARED_MODULES, socket])}`,
      `--allow-write=${list([socket])}`,
      // connecting to a Unix socket takes read, write and net access to it
      `--allow-net=${list([`unix:${socket}`, ...net])}`,
      ...(env.length > 0 ? [`--allow-env=${list(env)}`] : []),
      ENTRY,
      socket,
    ];
    // The child sees of the host's environment only what was granted: never the token or anything else.
    const childEnv: Record<string, string> = { NO_COLOR: "1", DENO_DIR: options.denoDir };
    for (const name of env) {
      const value = Deno.env.get(name);
      if (value !== undefined) childEnv[name] = value;
    }
    const child = new Deno.Command(options.denoPath, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: childEnv,
    }).spawn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const conn = await Promise.race([
        listener.accept() as Promise<Deno.UnixConn>,
        child.status.then((s) =>
          Promise.reject(new Error(`sandbox process exited at start (code ${s.code})`))
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`sandbox process did not connect within ${options.connectTimeoutMs} ms`)),
            options.connectTimeoutMs,
          );
        }),
      ]);
      return new SandboxProcess(child, conn, options);
    } catch (error) {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      const [, stderr] = await Promise.all([child.stdout.cancel(), new Response(child.stderr).text()]);
      const detail = stderr.trim().split("\n").slice(-3).join(" | ");
      throw new Error(detail ? `${(error as Error).message}: ${detail}` : (error as Error).message);
    } finally {
      clearTimeout(timer);
      listener.close();
      await Deno.remove(socket).catch(() => {});
    }
  }

  /** The process's resident memory in bytes, or `null` when the host may not read it. */
  async rss(): Promise<number | null> {
    try {
      const pages = Number((await Deno.readTextFile(`/proc/${this.pid}/statm`)).split(" ")[1]);
      return Number.isFinite(pages) ? pages * 4096 : null;
    } catch {
      return null; // not Linux, not permitted, or already gone: the workers' own reports still count
    }
  }

  /** Whether {@link kill} was called; envelopes are no longer delivered. */
  get killed(): boolean {
    return this.#killed;
  }

  /** Starts a worker for a plugin. */
  spawnWorker(id: string, permissions: WorkerPermissions): void {
    this.#write(["spawn", id, permissions]);
  }

  /** Sends a frame to a plugin's worker. */
  send(id: string, frame: string): void {
    this.#write(["m", id, frame]);
  }

  /** Sends requests to several workers in sequence (see `SandboxSequencer` in `sequencer.ts`). */
  sequence(seq: number, items: SequenceItem[]): void {
    this.#write(["seq", seq, items]);
  }

  /** Sends one frame to several workers. */
  multicast(ids: string[], frame: string): void {
    this.#write(["mc", ids, frame]);
  }

  /** Resolves once every envelope written so far went into the socket (or the process is gone). */
  drained(): Promise<void> {
    return this.#out.drained();
  }

  /** Terminates a plugin's worker (only effective when the worker is not stuck in a loop). */
  killWorker(id: string): void {
    this.#write(["kill", id]);
  }

  /** Kills the process by PID (SIGKILL: nothing a worker does can delay it). */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      Deno.kill(this.pid, "SIGKILL");
    } catch { /* already gone */ }
    this.#out.close();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /** How many envelopes of each kind the host wrote to the process (its traffic, for diagnostics). */
  get sent(): Readonly<Record<HostEnvelope[0], number>> {
    return this.#sent;
  }

  #write(envelope: HostEnvelope): void {
    if (this.#killed) return;
    this.#beforeWrite();
    this.#sent[envelope[0]]++;
    const [kind, to, frame] = envelope;
    this.#out.write(
      kind === "m" || kind === "mc"
        ? `${JSON.stringify([kind, to])}${FRAME_MARK}${frame}`
        : JSON.stringify(envelope),
    );
  }
}
