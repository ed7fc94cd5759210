/**
 * The host's side of sending a long chat to plugin workers in parts (the wire is described in
 * `worker/parts.ts`). A chat whose JSON fits in one part travels inside its frame as before; a longer one
 * is serialized part by part, straight from the host's own message objects (no copy of the chat: the
 * array is the moment's, see `ChatContext.chatAtThisMoment`), each part written when the socket has
 * taken the one before, with the host's event loop free between parts. What the host sends meanwhile
 * (events, answers, later mirror ops) goes out on the same ordered channel, and the worker holds it until
 * the chat is whole.
 * @module
 */

import { PeerMethod } from "../rpc/peer-methods.ts";
import type { PartsAnnouncement } from "./worker/parts.ts";

/** Largest JSON text of one part, in UTF-16 units: about 1 to 3 ms of the host's time to build. */
export const PART_CHARS = 1024 * 1024;

/** Parts a worker may hold unacknowledged: its queue stays short, its heartbeat answers are not held up. */
export const PARTS_IN_FLIGHT = 2;

/** The workers of one sandbox process that wait for a transfer's parts. */
export interface PartRecipients {
  /** Writes one frame to those of the workers still there; false when none is left. */
  send(frame: string): boolean;
  /** Resolves once everything written to the process so far has gone into its socket. */
  drained(): Promise<void>;
  /** Resolves once each of the workers still there acknowledged `count` parts of transfer `id`. */
  acked(id: number, count: number): Promise<void>;
}

/**
 * One worker's acknowledgements of parts (`$/part` notifications), counted for the transfers the host
 * sends it (anything else a worker claims is ignored).
 */
export class PartAcks {
  #counts = new Map<number, number>();
  #waiting: { id: number; count: number; resolve: () => void }[] = [];

  /** Starts counting transfer `id`; {@link forget} ends it. */
  expect(id: number): void {
    this.#counts.set(id, 0);
  }

  /** The worker acknowledged a part of transfer `id`. */
  ack(id: unknown): void {
    const count = typeof id === "number" ? this.#counts.get(id) : undefined;
    if (count === undefined) return;
    this.#counts.set(id as number, count + 1);
    this.#waiting = this.#waiting.filter((w) => w.id !== id || w.count > count + 1 || (w.resolve(), false));
  }

  /** Resolves once `count` parts of transfer `id` were acknowledged (or the worker is gone). */
  until(id: number, count: number): Promise<void> {
    const now = this.#counts.get(id);
    if (now === undefined || now >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ id, count, resolve }));
  }

  /** Stops counting transfer `id`. */
  forget(id: number): void {
    this.#counts.delete(id);
    this.#waiting = this.#waiting.filter((w) => w.id !== id || (w.resolve(), false));
  }

  /** The worker is gone: nothing waits for it any more. */
  close(): void {
    this.#counts.clear();
    for (const w of this.#waiting.splice(0)) w.resolve();
  }
}

/** A chat ready to go: inline JSON for a short one, or a transfer whose head announces it. */
export type PreparedChat = { json: string } | ChatTransfer;

let nextTransfer = 0;

/** How a part body of whole messages starts. */
const MESSAGES = '"messages":';

/**
 * Serializes the start of `messages`: the whole array's JSON text when it fits one part of `partChars`,
 * else a {@link ChatTransfer} (its first part already built).
 */
export function prepareChat(messages: readonly unknown[], partChars = PART_CHARS): PreparedChat {
  const parts = partsOf(messages, partChars);
  const first = parts.next();
  const second = parts.next();
  if (second.done) return { json: first.done ? "[]" : first.value.slice(MESSAGES.length) };
  return new ChatTransfer(++nextTransfer, first.value, second.value, parts);
}

/**
 * The parts of one chat after its head. Send the head (with {@link announce}'s `parts` in its params and
 * an empty array at `at`) first, then {@link send}.
 */
export class ChatTransfer {
  /** The transfer id the head announces. */
  readonly id: number;
  #ahead: string[];
  #rest: Iterator<string>;

  constructor(id: number, first: string, second: string, rest: Iterator<string>) {
    this.id = id;
    this.#ahead = [first, second];
    this.#rest = rest;
  }

  /** The `parts` member of the head's params, for the empty array at `at` (a JSON pointer into params). */
  announce(at: string): PartsAnnouncement {
    return { id: this.id, at };
  }

  /**
   * Writes every part to the recipients: one part, then a wait until each process's socket took it,
   * until the workers acknowledged all but {@link PARTS_IN_FLIGHT} - 1 of the parts sent, and for a turn
   * of the event loop; then the next. Resolves after the last part (or once no recipient is left).
   */
  async send(recipients: PartRecipients[]): Promise<void> {
    let left = recipients;
    for (let sent = 1; this.#ahead.length > 0 && left.length > 0; sent++) {
      const body = this.#ahead.shift()!;
      const next = this.#rest.next();
      if (!next.done) this.#ahead.push(next.value);
      const done = this.#ahead.length === 0 ? ',"done":true' : "";
      const frame =
        `{"jsonrpc":"2.0","method":"${PeerMethod.MIRROR}","params":{"part":${this.id},${body}${done}}}`;
      left = left.filter((r) => r.send(frame));
      await Promise.all(left.map((r) => r.drained()));
      await Promise.all(left.map((r) => r.acked(this.id, sent - PARTS_IN_FLIGHT + 1)));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

/**
 * The part bodies of a chat, each `"messages":[...]` with whole messages up to `partChars` of JSON, or,
 * for one message longer than that, its JSON text in pieces `"text":"...","more":true|false`.
 */
function* partsOf(messages: readonly unknown[], partChars: number): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    const body = `${MESSAGES}[${batch.join(",")}]`;
    batch = [];
    size = 0;
    return body;
  };
  for (const message of messages) {
    const json = JSON.stringify(message) ?? "null";
    if (json.length > partChars) {
      if (batch.length > 0) yield flush();
      for (let at = 0; at < json.length; at += partChars) {
        const more = at + partChars < json.length;
        yield `"text":${JSON.stringify(json.slice(at, at + partChars))},"more":${more}`;
      }
      continue;
    }
    if (size + json.length > partChars && batch.length > 0) yield flush();
    batch.push(json);
    size += json.length + 1;
  }
  if (batch.length > 0) yield flush();
}

/**
 * `json` with `chat` (JSON text of an array) in place of its last value, an empty array: build the head's
 * text with the chat's array as the last member it serializes.
 *
 * @example
 * ```ts
 * withChat('{"snapshot":{"name1":"Ada","chat":[]}}', '[{"mes":"hi"}]'); // '{"snapshot":{"name1":"Ada","chat":[{"mes":"hi"}]}}'
 * ```
 */
export function withChat(json: string, chat: string): string {
  const at = json.search(/\[\]\}*$/);
  if (at === -1) throw new Error("the chat's place is not the text's last value");
  return json.slice(0, at) + chat + json.slice(at + 2);
}
