/**
 * The bounded regex runtime: user- and plugin-supplied patterns run in a process of their own with a
 * time budget per script. Deno cannot interrupt a worker stuck in a backtracking regex (terminate()
 * returns while the thread runs on), so a script past its budget kills the process by PID and the next
 * request starts a fresh one. V8's linear-time fallback for excessive backtracking is switched on there,
 * so most catastrophic patterns finish quickly; the budget stops the rest (back-references, lookaround).
 * @module
 */

import { fileURLToPath } from "node:url";
import { LineWriter, readLines, streamReader, streamWriter } from "../lines.ts";
import type { RegexJob } from "./engine.ts";
import type { PreparedScript } from "./types.ts";

/** Options of {@link RegexRunner}. */
export interface RegexRunnerOptions {
  /** The Deno executable (default: this process's). */
  denoPath?: string;
  /** Default time budget of one script over a request's texts, in milliseconds (default 1,000). */
  budgetMs?: number;
  /** V8 heap cap of the runner process in MiB (default 256). */
  heapMb?: number;
}

/** A script ran past its budget; the runner process was killed. */
export class RegexTimeoutError extends Error {
  /** Index (into the request's scripts) of the script that was running when it was stopped. */
  readonly script: number | null;

  constructor(budgetMs: number, script: number | null) {
    super(`a regex script ran past its ${budgetMs} ms budget and was stopped`);
    this.name = "RegexTimeoutError";
    this.script = script;
  }
}

interface Pending {
  resolve(texts: string[]): void;
  reject(error: Error): void;
  /** The script the runner last said it started. */
  at: number | null;
  /** Restarts the budget (each script gets its own). */
  rearm(): void;
}

const ENTRY = fileURLToPath(new URL("./runner-main.ts", import.meta.url));

/**
 * Runs prepared scripts on texts in the runner process, one request at a time.
 *
 * @example
 * ```ts
 * const runner = new RegexRunner({ budgetMs: 200 });
 * await runner.run([{ id: "x", findRegex: "/a/g", replaceString: "b", trimStrings: [] }], [
 *   { text: "banana", scripts: [0] },
 * ]); // ["bbnbnb"]
 * runner.close();
 * ```
 */
export class RegexRunner {
  readonly #options: Required<Omit<RegexRunnerOptions, "denoPath">> & { denoPath: string };
  #child: Deno.ChildProcess | null = null;
  #writer: LineWriter | null = null;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: RegexRunnerOptions = {}) {
    this.#options = {
      denoPath: options.denoPath ?? Deno.execPath(),
      budgetMs: options.budgetMs ?? 1_000,
      heapMb: options.heapMb ?? 256,
    };
  }

  /** The default budget of one script in milliseconds. */
  get budgetMs(): number {
    return this.#options.budgetMs;
  }

  /**
   * Runs the jobs and resolves with one text per job; rejects with {@link RegexTimeoutError} when one
   * script runs past `budgetMs` over the request's texts (each script's clock starts when it starts).
   */
  run(scripts: PreparedScript[], jobs: RegexJob[], budgetMs = this.#options.budgetMs): Promise<string[]> {
    const turn = this.#queue.then(() => this.#send(scripts, jobs, budgetMs));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  /** Stops the runner process. Later calls fail. */
  close(): void {
    this.#closed = true;
    this.#kill(new Error("the regex runner is closed"));
  }

  #send(scripts: PreparedScript[], jobs: RegexJob[], budgetMs: number): Promise<string[]> {
    if (this.#closed) return Promise.reject(new Error("the regex runner is closed"));
    const writer = this.#writer ?? this.#start();
    const id = this.#nextId++;
    return new Promise<string[]>((resolve, reject) => {
      const expire = () => this.#kill(new RegexTimeoutError(budgetMs, this.#pending.get(id)?.at ?? null));
      let timer = setTimeout(expire, budgetMs);
      this.#pending.set(id, {
        at: null,
        rearm: () => {
          clearTimeout(timer);
          timer = setTimeout(expire, budgetMs);
        },
        resolve: (texts) => {
          clearTimeout(timer);
          resolve(texts);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      writer.write(JSON.stringify({ id, scripts, jobs }));
    });
  }

  #start(): LineWriter {
    const { denoPath, heapMb } = this.#options;
    const child = new Deno.Command(denoPath, {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--no-remote",
        "--quiet",
        `--v8-flags=--max-old-space-size=${heapMb},--enable-experimental-regexp-engine-on-excessive-backtracks`,
        ENTRY,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
      clearEnv: true,
    }).spawn();
    child.unref();
    const writer = new LineWriter(streamWriter(child.stdin));
    this.#child = child;
    this.#writer = writer;
    readLines(streamReader(child.stdout), (line) => this.#answer(line), 256 * 1024 * 1024)
      .catch(() => {})
      .finally(() => {
        if (this.#child === child) this.#kill(new Error("the regex runner stopped"));
      });
    return writer;
  }

  #answer(line: string): void {
    let frame: { id?: number; at?: number; texts?: string[]; error?: string };
    try {
      frame = JSON.parse(line);
    } catch {
      return;
    }
    const pending = frame.id === undefined ? undefined : this.#pending.get(frame.id);
    if (!pending) return;
    if (typeof frame.at === "number") {
      pending.at = frame.at;
      pending.rearm();
      return;
    }
    this.#pending.delete(frame.id!);
    if (Array.isArray(frame.texts)) pending.resolve(frame.texts);
    else pending.reject(new Error(frame.error ?? "the regex runner failed"));
  }

  #kill(error: Error): void {
    const child = this.#child;
    this.#child = null;
    this.#writer?.close();
    this.#writer = null;
    if (child) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      child.status.catch(() => {});
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}
