/**
 * Writes a reply into the chat while it streams. The message (or the new swipe, or the continued
 * text) appears with the first token, stored with `gen_started`; later tokens reach every mirror
 * promptly (coalesced previews, not stored) and are stored now and then, so a crash loses little; the
 * end stores the message with `gen_finished`. `swipes[swipe_id]` always equals `mes`.
 *
 * Every store is guarded by a `test` of the text last stored, so a concurrent edit or deletion of
 * earlier messages (which moves the reply) is found instead of overwritten.
 * @module
 */

import type { ChatService } from "../chats.ts";
import { humanDate } from "../chats.ts";
import type { ChatContext } from "../context.ts";
import { LodgeError } from "../errors.ts";
import type { ChatKey, ChatMessage } from "../store.ts";

/** How often mirrors see a growing reply, at most. */
const PREVIEW_MS = 25;
/** How often a growing reply is stored, at most. */
const STORE_MS = 1000;

/** Where the reply goes. */
export type ReplyTarget =
  /** A new message made from this template (name, avatar, extra). */
  | { kind: "new"; template: ChatMessage }
  /** A new swipe on the message at `index`. */
  | { kind: "swipe"; index: number; extra: Record<string, unknown> }
  /** Appended to the current swipe of the message at `index`. */
  | { kind: "continue"; index: number };

/** How the reply ended. */
export type ReplyEnd = "done" | "stopped" | "failed";

/** Services the writer uses. */
export interface WriterDeps {
  chats: ChatService;
  context: ChatContext;
}

/** One reply being written; see the module documentation. */
export class ReplyWriter {
  readonly #deps: WriterDeps;
  readonly #key: ChatKey;
  readonly #chatId: number;
  readonly #target: ReplyTarget;
  #message: ChatMessage | null = null;
  /** The message before a swipe or continue changed it (for discard). */
  #original: ChatMessage | null = null;
  #index = -1;
  #swipe = 0;
  #prefix = "";
  #text = "";
  #reasoning = "";
  /** `mes` as last stored, for the guard. */
  #stored = "";
  #previewAt = 0;
  #previewTimer: ReturnType<typeof setTimeout> | undefined;
  #storeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: WriterDeps, chat: { id: number; key: ChatKey }, target: ReplyTarget) {
    this.#deps = deps;
    this.#key = chat.key;
    this.#chatId = chat.id;
    this.#target = target;
  }

  /** The generated text so far (for `continue`, only what was added). */
  get text(): string {
    return this.#text;
  }

  /** The reasoning so far. */
  get reasoning(): string {
    return this.#reasoning;
  }

  /** The message's index, or null while nothing was written. */
  get index(): number | null {
    return this.#message ? this.#index : null;
  }

  /** The whole message text (the continued prefix included). */
  get fullText(): string {
    return this.#prefix + this.#text;
  }

  /** Adds streamed text or reasoning; the first call writes the message. */
  push(delta: { text?: string; reasoning?: string }): void {
    if (delta.text) this.#text += delta.text;
    if (delta.reasoning) this.#reasoning += delta.reasoning;
    this.#changed();
  }

  /** Replaces the generated text and reasoning (a takeover hands over whole buffers). */
  replace(text: string, reasoning: string): void {
    this.#text = text;
    this.#reasoning = reasoning;
    if (text || reasoning || this.#message) this.#changed();
  }

  /**
   * Takes the reply back: a new message is removed, a swipe or continued message gets its text from
   * before. Returns null.
   */
  discard(): null {
    clearTimeout(this.#previewTimer);
    clearTimeout(this.#storeTimer);
    this.#previewTimer = this.#storeTimer = undefined;
    if (!this.#message) return null;
    const at = this.#locate();
    if (at >= 0) {
      const guard = { op: "test" as const, path: `/${at}/mes`, value: this.#stored };
      this.#deps.chats.patch(
        this.#key,
        this.#original
          ? [guard, { op: "replace", path: `/${at}`, value: this.#original }]
          : [guard, { op: "remove", path: `/${at}` }],
      );
    }
    this.#message = null;
    return null;
  }

  #changed(): void {
    if (!this.#message) return this.#create();
    this.#sync();
    const wait = this.#previewAt + PREVIEW_MS - performance.now();
    if (wait <= 0) this.#preview();
    else this.#previewTimer ??= setTimeout(() => this.#preview(), wait);
    this.#storeTimer ??= setTimeout(() => {
      this.#storeTimer = undefined;
      try {
        this.#store();
      } catch {
        // a store between tokens is only a safety copy: when it fails (the host is closing its store),
        // the end of the reply stores the message or the generation reports why it could not
      }
    }, STORE_MS);
  }

  /** Drops the text of a round that ended in tool calls (the model answers in the next round). */
  resetText(): void {
    if (!this.#text && !this.#reasoning) return;
    this.#text = "";
    this.#reasoning = "";
    if (this.#message) this.#sync();
  }

  /**
   * Stores a message just before a new reply (tool invocations) and returns its index. When the reply
   * is not written yet the message is appended, and the reply will follow it. A swipe or continue
   * stores nothing (null).
   */
  insertBefore(message: ChatMessage): number | null {
    // a swipe or continue writes into the last message, which must stay last
    if (this.#target.kind !== "new") return null;
    if (!this.#message) {
      return this.#deps.chats.append(this.#key, [message], { force: true }).first_index;
    }
    const at = this.#locate();
    this.#deps.chats.patch(this.#key, [{ op: "add", path: `/${at}`, value: message }]);
    this.#index = at + 1;
    return at;
  }

  /**
   * Ends the reply: stores it with `gen_finished` (a failure is marked in `extra.generation_error`) and
   * returns its index, or null when nothing was written (or the message is gone).
   */
  finish(end: ReplyEnd, error?: unknown): number | null {
    clearTimeout(this.#previewTimer);
    clearTimeout(this.#storeTimer);
    this.#previewTimer = this.#storeTimer = undefined;
    if (!this.#message) return null;
    const finished = humanDate();
    this.#message.gen_finished = finished;
    const info = (this.#message.swipe_info as Record<string, unknown>[] | undefined)?.[this.#swipe];
    if (info) info.gen_finished = finished;
    if (end === "failed") {
      const extra = this.#message.extra as Record<string, unknown>;
      extra.generation_error = error instanceof Error ? error.message : String(error ?? "failed");
    }
    this.#sync();
    this.#store();
    return this.#message ? this.#index : null;
  }

  #create(): void {
    const now = humanDate();
    const chats = this.#deps.chats;
    const target = this.#target;
    if (target.kind === "new") {
      const extra = { ...(target.template.extra as Record<string, unknown> ?? {}) };
      this.#message = {
        ...structuredClone(target.template),
        send_date: now,
        gen_started: now,
        mes: this.#text,
        swipe_id: 0,
        swipes: [this.#text],
        swipe_info: [{ send_date: now, gen_started: now, gen_finished: null, extra: {} }],
        extra,
      };
      this.#sync();
      const { total_messages } = chats.patch(this.#key, [{ op: "add", path: "/-", value: this.#message }]);
      this.#index = total_messages - 1;
      this.#stored = this.#message.mes as string;
      this.#previewAt = performance.now();
      return;
    }
    const current = chats.message(this.#chatId, target.index);
    if (!current) throw new LodgeError("conflict", "the message to write into is gone");
    this.#original = structuredClone(current);
    const message = structuredClone(current);
    const swipes = Array.isArray(message.swipes) && message.swipes.length
      ? [...message.swipes as string[]]
      : [String(message.mes ?? "")];
    const infos = Array.isArray(message.swipe_info) ? [...message.swipe_info] : swipes.map(() => ({}));
    this.#index = target.index;
    if (target.kind === "swipe") {
      swipes.push("");
      infos[swipes.length - 1] = { send_date: now, gen_started: now, gen_finished: null, extra: {} };
      this.#swipe = swipes.length - 1;
      message.send_date = now;
      message.gen_started = now;
      message.extra = { ...target.extra };
    } else {
      this.#swipe = Number.isInteger(message.swipe_id) ? Number(message.swipe_id) : 0;
      this.#prefix = String(message.mes ?? "");
    }
    message.swipes = swipes;
    message.swipe_info = infos;
    message.swipe_id = this.#swipe;
    message.extra ??= {};
    this.#stored = String(current.mes ?? "");
    this.#message = message;
    this.#sync();
    this.#store();
    this.#previewAt = performance.now();
  }

  /** Puts the text and reasoning into the message object. */
  #sync(): void {
    const m = this.#message!;
    const full = this.fullText;
    m.mes = full;
    (m.swipes as string[])[this.#swipe] = full;
    const extra = m.extra as Record<string, unknown>;
    if (this.#reasoning) extra.reasoning = this.#reasoning;
    else delete extra.reasoning;
  }

  #preview(): void {
    this.#previewTimer = undefined;
    if (!this.#message) return;
    this.#previewAt = performance.now();
    const fields: Record<string, unknown> = {
      mes: this.#message.mes,
      [`swipes/${this.#swipe}`]: this.#message.mes,
    };
    if (this.#reasoning) fields["extra/reasoning"] = this.#reasoning;
    this.#deps.context.previewMessage(this.#chatId, this.#index, fields);
  }

  /** Stores the message (guarded), then remembers what was stored. */
  #store(): void {
    if (!this.#message) return;
    const message = structuredClone(this.#message);
    const write = (at: number) =>
      this.#deps.chats.patch(this.#key, [
        { op: "test", path: `/${at}/mes`, value: this.#stored },
        { op: "replace", path: `/${at}`, value: message },
      ]);
    try {
      write(this.#index);
    } catch (error) {
      if (!(error instanceof LodgeError) || error.kind !== "conflict") throw error;
      const at = this.#locate();
      if (at < 0) {
        this.#message = null; // deleted meanwhile: nothing left to write into
        return;
      }
      this.#index = at;
      write(at);
    }
    this.#stored = message.mes as string;
  }

  /** Where the reply is now: its index if it still holds the stored text, else the last that does. */
  #locate(): number {
    const messages = this.#deps.chats.messages(this.#chatId);
    if (messages[this.#index]?.mes === this.#stored) return this.#index;
    return messages.findLastIndex((m) => m.mes === this.#stored);
  }
}
