/**
 * `context.createMessageEditorHandle(options)` inside a worker (Luker's message takeover). The handle
 * is a text and reasoning buffer: a `GENERATE_TAKEOVER_DISPATCH` listener sets it as
 * `eventData.takeoverHandle` (its JSON form `{ takeoverId }` is what reaches the host), writes into it
 * with `setText`/`setReasoning` (sent to the host coalesced, `takeover.update`) and settles it once
 * with `commit()`, `abort()` or `discard()` (`takeover.settle`). The host writes the text into the chat
 * through the same path as a streamed reply. When the user stops the generation, the host says so in
 * its answer to the next update and `handle.abortSignal` fires.
 *
 * ```js
 * ctx.eventSource.on(ctx.eventTypes.GENERATE_TAKEOVER_DISPATCH, (data) => {
 *   const handle = ctx.createMessageEditorHandle({ generationType: data.type, owner: "my-plugin" });
 *   data.takeoverHandle = handle;
 *   (async () => {
 *     handle.setText("Hello from the plugin.");
 *     await handle.commit();
 *   })();
 * });
 * ```
 * @module
 */

import type { Channel } from "./channel.ts";

const TYPES = ["normal", "regenerate", "swipe", "continue"];

/** Options of `createMessageEditorHandle`. */
export interface EditorOptions {
  generationType: string;
  /** The text before the takeover (continue: the prefix the text must keep). */
  originalText?: string;
  originalReasoning?: string;
  /** Also aborts the handle's own signal. */
  abortSignal?: AbortSignal;
  /** How often updates go to the host, at most (default 33 ms). */
  flushIntervalMs?: number;
  owner?: string;
}

/** A takeover failure with Luker's codes. */
export class TakeoverError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "TakeoverError";
    this.code = code;
  }
}

type Outcome = { status: "committed" | "aborted" | "discarded"; finalText: string; finalReasoning: string };

/** Builds `createMessageEditorHandle` over the worker's channel. */
export function createEditorHandles(channel: Channel, report: (error: unknown) => void) {
  let next = 1;
  return (options: EditorOptions) => {
    if (!TYPES.includes(options?.generationType)) {
      throw new TakeoverError("invalid_generation_type", `generationType must be one of ${TYPES.join(", ")}`);
    }
    return new MessageEditorHandle(channel, report, `h${next++}-${crypto.randomUUID()}`, options);
  };
}

/** The handle; see the module documentation. */
export class MessageEditorHandle {
  /** The id the host knows the handle by (its JSON form). */
  readonly takeoverId: string;
  readonly #channel: Channel;
  readonly #report: (error: unknown) => void;
  readonly #options: EditorOptions;
  readonly #controller = new AbortController();
  readonly #complete = Promise.withResolvers<Outcome>();
  #text: string;
  #reasoning: string;
  #status: Outcome["status"] | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onUpdate: ((text: string, reasoning: string) => void) | null = null;

  constructor(channel: Channel, report: (error: unknown) => void, id: string, options: EditorOptions) {
    this.takeoverId = id;
    this.#channel = channel;
    this.#report = report;
    this.#options = options;
    this.#text = String(options.originalText ?? "");
    this.#reasoning = String(options.originalReasoning ?? "");
    options.abortSignal?.addEventListener("abort", () => this.#controller.abort(options.abortSignal!.reason));
    // the methods live on the prototype, so the handle's JSON form is `{ takeoverId }`
    Object.defineProperty(this, "takeoverId", { enumerable: true, value: id, writable: false });
  }

  /** The handle's signal: aborted when the user stops the generation (or the given signal aborts). */
  get abortSignal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Resolves once the handle is settled. */
  get complete(): Promise<Outcome> {
    return this.#complete.promise;
  }

  getText(): string {
    return this.#text;
  }

  getReasoning(): string {
    return this.#reasoning;
  }

  /** Replaces the text; a continue must keep the original prefix. */
  setText(text: string): void {
    this.#writable();
    if (typeof text !== "string") throw new TakeoverError("invalid_argument", "text must be a string");
    const prefix = String(this.#options.originalText ?? "");
    if (this.#options.generationType === "continue" && !text.startsWith(prefix)) {
      throw new TakeoverError(
        "invalid_op_for_continue",
        "a continue must keep the original text as its prefix",
      );
    }
    this.#text = text;
    this.#schedule();
  }

  /** Replaces the reasoning. */
  setReasoning(text: string): void {
    this.#writable();
    if (typeof text !== "string") throw new TakeoverError("invalid_argument", "reasoning must be a string");
    this.#reasoning = text;
    this.#schedule();
  }

  /** Subscribes to (coalesced) buffer updates; `null` unsubscribes. */
  setOnUpdate(fn: ((text: string, reasoning: string) => void) | null): void {
    this.#onUpdate = fn;
    if (fn && this.#timer) this.#flush();
  }

  /** The reply is final. */
  commit(): Promise<void> {
    return this.#settle("committed");
  }

  /** Stopped: keep the text as it is. */
  abort(): Promise<void> {
    return this.#settle("aborted");
  }

  /** Take the reply back. */
  discard(): Promise<void> {
    return this.#settle("discarded");
  }

  async #settle(status: Outcome["status"]): Promise<void> {
    if (this.#status === status) return;
    if (this.#status) {
      throw new TakeoverError(`editor_${this.#status}`, `the handle is already ${this.#status}`);
    }
    this.#status = status;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const finalText = status === "discarded" ? String(this.#options.originalText ?? "") : this.#text;
    const finalReasoning = status === "discarded"
      ? String(this.#options.originalReasoning ?? "")
      : this.#reasoning;
    this.#onUpdate?.(finalText, finalReasoning);
    await this.#channel.request("takeover.settle", [this.takeoverId, status, {
      text: this.#text,
      reasoning: this.#reasoning,
    }]);
    this.#complete.resolve({ status, finalText, finalReasoning });
  }

  #writable(): void {
    if (this.#status) {
      throw new TakeoverError(`editor_${this.#status}`, `the handle is already ${this.#status}`);
    }
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.#flush(), this.#options.flushIntervalMs ?? 33);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onUpdate?.(this.#text, this.#reasoning);
    this.#channel.request("takeover.update", [this.takeoverId, {
      text: this.#text,
      reasoning: this.#reasoning,
    }])
      .then((answer) => {
        if ((answer as { aborted?: boolean })?.aborted && !this.#controller.signal.aborted) {
          this.#controller.abort(new DOMException("the generation was stopped", "AbortError"));
        }
      }, this.#report);
  }
}
