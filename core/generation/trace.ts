/**
 * Generation traces: what happened during one generation, readable afterwards with
 * `getGenerationTrace(id)`. Each hook with each listener's run time and the JSON diff it made to the
 * payload, the World Info entries activated and why, the final prompt with token counts per part, the
 * request sent (secrets redacted) and the timings to the first token and to the end. The last
 * {@link TRACES_PER_CHAT} traces of each chat are kept in memory.
 * @module
 */

import type { EmitObserver, ListenerMeta } from "../events.ts";
import { type DiffOp, isObject, jsonDiff } from "../json.ts";

/** Traces kept per chat. */
export const TRACES_PER_CHAT = 50;

/** One listener's call during a hook. */
export interface TraceListener {
  pluginId: string | null;
  listenerName: string | null;
  source: string;
  /** Run time in milliseconds. */
  ms: number;
  /**
   * The RFC 6902 ops turning the payload before the listener into the payload after it, secrets
   * redacted in their values.
   */
  diff: DiffOp[];
  /** The error message when the listener threw. */
  error?: string;
}

/** One hook (event) of the pipeline. */
export interface TraceHook {
  event: string;
  /** Milliseconds since the generation started. */
  at: number;
  /** Total milliseconds the hook took. */
  ms: number;
  listeners: TraceListener[];
}

/** One activated World Info entry and why it fired. */
export interface TraceWorldInfoEntry {
  world: string | null;
  uid: unknown;
  comment: string;
  /** Why: `constant`, `key`, `sticky`, `forced`, ... as the engine reports it. */
  reason: string;
  /** The key that matched, when a key did. */
  key?: string;
  /** Where the key matched (e.g. a chat message index or a scan source). */
  where?: unknown;
}

/** One part of the final prompt. */
export interface TracePromptPart {
  /** What the part is (`main`, `charDescription`, `chatHistory`, `worldInfoBefore`, ...). */
  name: string;
  role: string;
  tokens: number;
}

/** Everything recorded about one generation. */
export interface GenerationTrace {
  id: string;
  /** The chat (file name or group chat id). */
  chatId: string;
  type: string;
  dryRun: boolean;
  /** Epoch milliseconds. */
  startedAt: number;
  status: "running" | "done" | "stopped" | "failed" | "dry_run";
  error?: string;
  /** The character who spoke (groups: the drafted member). */
  speaker: string | null;
  hooks: TraceHook[];
  worldInfo: { activated: TraceWorldInfoEntry[] };
  prompt: { messages: unknown[]; parts: TracePromptPart[]; totalTokens: number } | null;
  /** The request bodies sent (one per tool round), secrets redacted. */
  requests: unknown[];
  /** A plugin that took the turn over, when one did. */
  takeover: string | null;
  timings: { firstTokenMs: number | null; endMs: number | null };
}

/** Records one generation; see {@link GenerationTrace}. */
export class TraceRecorder {
  readonly trace: GenerationTrace;
  readonly #t0 = performance.now();

  constructor(init: { id: string; chatId: string; type: string; dryRun: boolean; speaker: string | null }) {
    this.trace = {
      ...init,
      startedAt: Date.now(),
      status: "running",
      hooks: [],
      worldInfo: { activated: [] },
      prompt: null,
      requests: [],
      takeover: null,
      timings: { firstTokenMs: null, endMs: null },
    };
  }

  /** Milliseconds since the generation started. */
  elapsed(): number {
    return round(performance.now() - this.#t0);
  }

  /**
   * An observer for one emit of `event`: records each listener's time and the diff of the JSON form
   * of the arguments it made. A listener whose lane reports its edits costs no copy of the arguments;
   * the others are diffed against a JSON copy taken before them.
   */
  observe(event: string): EmitObserver & { done(): void } {
    const hook: TraceHook = { event, at: this.elapsed(), ms: 0, listeners: [] };
    this.trace.hooks.push(hook);
    const started = performance.now();
    /** The JSON form of the arguments as the last listener left them, while it is known. */
    let current: unknown = undefined;
    let known = false;
    let reported = false;
    return {
      before: (_meta, args, reportsEdits) => {
        reported = reportsEdits;
        if (!reportsEdits && !known) {
          current = jsonForm(args);
          known = true;
        }
      },
      after: (meta: ListenerMeta, ms, args, error, edits) => {
        let diff: DiffOp[];
        if (reported) {
          // a lane's listener that failed changed nothing
          diff = edits ?? [];
          if (diff.length > 0) known = false; // the copy is stale; taken again when a listener needs it
        } else {
          const after = jsonForm(args);
          diff = jsonDiff(current, after);
          current = after;
        }
        const entry: TraceListener = {
          pluginId: meta.pluginId,
          listenerName: meta.listenerName,
          source: meta.source,
          ms: round(ms),
          diff: redactOps(diff),
        };
        if (error !== undefined) entry.error = error instanceof Error ? error.message : String(error);
        hook.listeners.push(entry);
      },
      done: () => {
        hook.ms = round(performance.now() - started);
      },
    };
  }

  /** Notes the first streamed token (only the first call counts). */
  firstToken(): void {
    this.trace.timings.firstTokenMs ??= this.elapsed();
  }

  /** Records a request body as sent, with secrets redacted. */
  request(body: unknown): void {
    this.trace.requests.push(redact(body));
  }

  /** Ends the trace. */
  end(status: GenerationTrace["status"], error?: unknown): void {
    this.trace.status = status;
    if (error !== undefined) this.trace.error = error instanceof Error ? error.message : String(error);
    this.trace.timings.endMs = this.elapsed();
  }
}

/** The last traces of each chat. */
export class TraceStore {
  readonly #byChat = new Map<string, GenerationTrace[]>();
  readonly #byId = new Map<string, GenerationTrace>();

  /** Keeps a trace (dropping the chat's oldest beyond {@link TRACES_PER_CHAT}). */
  add(trace: GenerationTrace): void {
    const list = this.#byChat.get(trace.chatId) ?? [];
    list.push(trace);
    this.#byId.set(trace.id, trace);
    while (list.length > TRACES_PER_CHAT) this.#byId.delete(list.shift()!.id);
    this.#byChat.set(trace.chatId, list);
  }

  /** A trace by id, or null. */
  get(id: string): GenerationTrace | null {
    return this.#byId.get(id) ?? null;
  }

  /** A chat's traces, newest first. */
  list(chatId: string): GenerationTrace[] {
    return [...(this.#byChat.get(chatId) ?? [])].reverse();
  }
}

const SECRET_KEY = /key|token|secret|password|authorization|cookie/i;

/**
 * A JSON copy with secrets redacted: values of secret-looking fields, and credentials or query
 * strings in URLs.
 */
export function redact(value: unknown): unknown {
  return redactJson(jsonForm(value), "");
}

/** A JSON value with secrets redacted; `key` is the name of the field holding it. */
function redactJson(v: unknown, key: string): unknown {
  if (typeof v === "string") {
    if (SECRET_KEY.test(key) && !/^max_tokens$|tokens$/i.test(key)) return "[redacted]";
    return /^https?:\/\//i.test(v) ? redactUrl(v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => redactJson(x, ""));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactJson(x, k)]));
  return v;
}

/** Diff ops with secrets redacted in their values (a listener's edit may put a key into a request). */
function redactOps(ops: DiffOp[]): DiffOp[] {
  if (ops.length === 0) return ops;
  return ops.map((op) =>
    "value" in op ? { ...op, value: redactJson(op.value, op.path.slice(op.path.lastIndexOf("/") + 1)) } : op
  );
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) u.username = u.password = "redacted";
    if (u.search) u.search = "?redacted";
    return u.toString();
  } catch {
    return url;
  }
}

/** The JSON form of a value (what a remote listener sees): functions and signals drop out. */
function jsonForm(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
