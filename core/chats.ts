/**
 * Chats and messages with Luker's patch-first semantics: integrity tokens, `test` guards, idempotent
 * append and patch retries. Every write runs in one transaction and touches only the rows it changes.
 * @module
 */

import { z } from "zod";
import { conflict, invalid, LodgeError, notFound } from "./errors.ts";
import { deepEqual, escapeSegment, isObject } from "./json.ts";
import { safeName } from "./names.ts";
import { applyPatch, parsePointer, type PatchOp } from "./patch.ts";
import { assertStorable, checkChatHeader, checkMessage, syncSwipes } from "./schema/mod.ts";
import type { ChatKey, ChatMessage, ChatRecord, Store } from "./store.ts";

/** A chat named as Luker names it: a character chat by avatar and file, or a group chat by id. */
export const ChatTargetSchema = z.union([
  z.object({
    is_group: z.literal(true),
    id: z.string(),
  }).loose(),
  z.object({
    is_group: z.literal(false).optional(),
    avatar_url: z.string(),
    file_name: z.string(),
    char_name: z.string().optional(),
  }).loose(),
]);

/** See {@link ChatTargetSchema}. */
export type ChatTarget = z.infer<typeof ChatTargetSchema>;

/** The first line of a chat: who talks, and the chat's metadata. */
export interface ChatHeader {
  user_name: string;
  character_name: string;
  create_date: string;
  chat_metadata: Record<string, unknown>;
  /** Any other field the header line had (an imported file's, a save's), kept as it was. */
  [field: string]: unknown;
}

/** A change to one chat, for the context mirror and other observers. */
export type ChatChange =
  | { chatId: number; type: "messages"; ops: PatchOp[] }
  | { chatId: number; type: "metadata"; metadata: Record<string, unknown> }
  | { chatId: number; type: "replaced" }
  | { chatId: number; type: "deleted" }
  | { chatId: number; type: "renamed"; key: ChatKey };

/** Options shared by writes: the integrity token the caller last saw, and `force` to skip the check. */
export interface WriteOptions {
  integrity?: string;
  force?: boolean;
}

/** Turns a target into a storage key, validating names. */
export function chatKey(target: ChatTarget): ChatKey {
  if (target.is_group === true) {
    return { kind: "group", owner: "", file: safeName(target.id, "group chat id") };
  }
  const file = String(target.file_name).replace(/\.jsonl$/, "");
  return {
    kind: "character",
    owner: safeName(target.avatar_url, "avatar_url"),
    file: safeName(file, "file_name"),
  };
}

/** A short display timestamp as SillyTavern writes `send_date`/`create_date`. */
export function humanDate(date = new Date()): string {
  return date.toISOString();
}

/** Chat storage with Luker semantics. */
export class ChatService {
  #store: Store;
  #listeners = new Set<(change: ChatChange) => void>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Observes every committed change. Returns an unsubscribe function. */
  onChange(fn: (change: ChatChange) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The chat record or null. */
  find(target: ChatTarget | ChatKey): ChatRecord | null {
    return this.#store.findChat("kind" in target ? target as ChatKey : chatKey(target as ChatTarget));
  }

  /** The chat record or a `not_found` error. */
  require(target: ChatTarget | ChatKey): ChatRecord {
    const chat = this.find(target);
    if (!chat) throw notFound("chat not found");
    return chat;
  }

  /** The chat record by id (for observers holding an id). */
  byId(id: number): ChatRecord | null {
    return this.#store.chatById(id);
  }

  /**
   * Creates a chat (empty, with a greeting, or the first part of an imported file) and returns its
   * record. `extra` keeps the other fields of an imported header line; an imported `integrity` in the
   * metadata is kept, else a new one is made.
   */
  create(
    key: ChatKey,
    header: {
      userName: string;
      characterName: string;
      metadata?: Record<string, unknown>;
      extra?: Record<string, unknown>;
    },
    messages: ChatMessage[] = [],
  ): ChatRecord {
    messages = messages.map((m, i) => syncSwipes(checkMessage(m, { what: `message ${i}` }), null));
    if (header.metadata) assertStorable(header.metadata, "chat_metadata");
    if (header.extra) assertStorable(header.extra, "chat header");
    const integrity = typeof header.metadata?.integrity === "string"
      ? header.metadata.integrity
      : crypto.randomUUID();
    return this.#store.transaction(() => {
      if (this.#store.findChat(key)) throw new LodgeError("conflict", "chat already exists");
      const chat = this.#store.createChat(key, {
        metadata: { ...header.metadata, integrity },
        userName: header.userName,
        characterName: header.characterName,
        extra: header.extra,
      });
      this.#store.appendMessages(chat.id, messages);
      return this.#store.findChat(key)!;
    });
  }

  /** `[header, ...messages]`, or null for a chat that does not exist. */
  get(target: ChatTarget | ChatKey): [ChatHeader, ...ChatMessage[]] | null {
    const chat = this.find(target);
    if (!chat) return null;
    return [headerOf(chat), ...this.#store.getMessages(chat.id)];
  }

  /** Messages of a chat by id. */
  messages(chatId: number, from = 0, limit = -1): ChatMessage[] {
    return this.#store.getMessages(chatId, from, limit);
  }

  /** One message or null. */
  message(chatId: number, index: number): ChatMessage | null {
    return this.#store.getMessage(chatId, index);
  }

  /**
   * Full save: replaces every message and the header fields the header line holds (`user_name`,
   * `character_name`, `chat_metadata`, `create_date` and any other field, checked as SillyTavern writes
   * them); a header field the line leaves out keeps its stored value. Creates the chat if needed.
   */
  save(target: ChatTarget, chat: unknown[], options: WriteOptions = {}): { ok: true; integrity: string } {
    const key = chatKey(target);
    const [line, ...lines] = chat;
    if (!isObject(line)) throw invalid("chat[0] must be the header object");
    const header = checkChatHeader(line, { what: "chat[0]", path: "/0" });
    const messages = lines.map((m, i) => syncSwipes(checkMessage(m, { what: `chat[${i + 1}]` }), null));
    const metadata = { ...header.metadata };
    const result = this.#store.transaction(() => {
      let record = this.#store.findChat(key);
      if (record) {
        this.#checkIntegrity(
          record,
          options.integrity ?? stringOrUndefined(metadata.integrity),
          options.force,
        );
      } else {
        record = this.#store.createChat(key, {
          metadata: {},
          userName: header.userName ?? "User",
          characterName: header.characterName ?? "",
        });
      }
      this.#store.replaceMessages(record.id, messages);
      const integrity = crypto.randomUUID();
      this.#store.updateChatHeader(record.id, {
        metadata: { ...metadata, integrity },
        userName: header.userName,
        characterName: header.characterName,
        extra: { ...record.extra, ...header.extra },
      });
      return { id: record.id, integrity };
    });
    this.#emit({ chatId: result.id, type: "replaced" });
    return { ok: true, integrity: result.integrity };
  }

  /**
   * Applies RFC 6902 ops to the message array (`/N`, `/N/field`, `/-`). `move`/`copy` and root ops are
   * refused; an `add` at `/N` equal to the message there is treated as a `test` so retries are harmless.
   */
  patch(
    target: ChatTarget | ChatKey,
    ops: PatchOp[],
    options: WriteOptions & { chat_metadata?: Record<string, unknown> } = {},
  ): { ok: true; applied: number; total_messages: number; integrity: string } {
    const effective: PatchOp[] = [];
    const parsed = ops.map((op, i) => {
      if (op.op === "move" || op.op === "copy") {
        throw invalid(`operation ${i}: "${op.op}" is not supported on chats`);
      }
      const segments = parsePointer(op.path);
      // A leading-zero index is malformed input (RFC 6901), not a conflict with the stored chat.
      if (segments.some((s) => /^0\d+$/.test(s))) {
        throw invalid(`operation ${i}: array index with leading zero in ${JSON.stringify(op.path)}`);
      }
      if (segments.length === 0) {
        throw invalid(`operation ${i}: root operations are not supported; use a full save`);
      }
      if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) {
        throw invalid(`operation ${i}: "${op.op}" needs a value`);
      }
      if (segments.length === 1 && (op.op === "add" || op.op === "replace")) {
        if (!isObject(op.value)) throw invalid(`operation ${i}: a message must be an object`);
        checkMessage(op.value, { what: `operation ${i}`, path: op.path });
      }
      if (segments[0] === "-" && !(op.op === "add" && segments.length === 1)) {
        throw invalid(`operation ${i}: "/-" is only valid for add`);
      }
      return { op, segments };
    });
    if (options.chat_metadata) assertStorable(options.chat_metadata, "chat_metadata");
    const result = this.#store.transaction(() => {
      const chat = this.require(target);
      this.#checkIntegrity(chat, options.integrity, options.force);
      let count = chat.messageCount;
      let applied = 0;
      for (const [i, { op, segments }] of parsed.entries()) {
        const [head, ...rest] = segments;
        if (head === "-") {
          const value = syncSwipes(op.value as ChatMessage, null);
          this.#store.appendMessages(chat.id, [value]);
          count++;
          effective.push({ ...op, value });
          applied++;
          continue;
        }
        const index = parseIndex(head, i);
        const limit = op.op === "add" && rest.length === 0 ? count : count - 1;
        if (index > limit) throw conflict(`operation ${i}: index ${index} out of range (${count} messages)`);
        if (rest.length === 0) {
          const existing = index < count ? this.#store.getMessage(chat.id, index) : null;
          switch (op.op) {
            case "test":
              if (!deepEqual(existing, op.value)) throw conflict(`operation ${i}: test failed at ${op.path}`);
              break;
            case "add": {
              if (existing && deepEqual(existing, op.value)) break; // an idempotent retry
              const value = syncSwipes(op.value as ChatMessage, null);
              this.#store.insertMessage(chat.id, index, value);
              count++;
              effective.push({ ...op, value });
              break;
            }
            case "replace": {
              const value = syncSwipes(op.value as ChatMessage, existing);
              this.#store.setMessage(chat.id, index, value);
              effective.push({ ...op, value });
              break;
            }
            case "remove":
              this.#store.removeMessage(chat.id, index);
              count--;
              effective.push(op);
          }
        } else {
          const message = this.#store.getMessage(chat.id, index)!;
          const subPath = "/" + rest.map(escapeSegment).join("/");
          const patched = applyPatch(message, [{ ...op, path: subPath }], "strict");
          if (op.op !== "test") {
            // The message as it will be stored is checked whole: the cost is one message, not the chat.
            checkMessage(patched, { what: `operation ${i}`, path: `/${index}` });
            const next = syncSwipes(patched, message);
            this.#store.setMessage(chat.id, index, next);
            effective.push(next === patched ? op : { op: "replace", path: `/${index}`, value: next });
          }
        }
        applied++;
      }
      const metadata = this.#touch(chat.id, options.chat_metadata ?? chat.metadata);
      return { chat, applied, count, metadata };
    });
    if (effective.length) this.#emit({ chatId: result.chat.id, type: "messages", ops: effective });
    this.#emit({ chatId: result.chat.id, type: "metadata", metadata: result.metadata });
    return {
      ok: true,
      applied: result.applied,
      total_messages: result.count,
      integrity: result.metadata.integrity as string,
    };
  }

  /** Appends messages, skipping leading ones equal to the stored tail (so a retried append is harmless). */
  append(
    target: ChatTarget | ChatKey,
    messages: ChatMessage[],
    options: WriteOptions = {},
  ): { ok: true; appended: number; skipped: number; integrity: string; first_index: number } {
    messages = messages.map((m, i) => syncSwipes(checkMessage(m, { what: `message ${i}` }), null));
    const result = this.#store.transaction(() => {
      const chat = this.require(target);
      this.#checkIntegrity(chat, options.integrity, options.force);
      const count = chat.messageCount;
      const window = Math.min(messages.length, count);
      const tail = window ? this.#store.getMessages(chat.id, count - window, window) : [];
      let skipped = 0;
      for (let k = window; k > 0; k--) {
        if (messages.slice(0, k).every((m, j) => deepEqual(m, tail[tail.length - k + j]))) {
          skipped = k;
          break;
        }
      }
      const fresh = messages.slice(skipped);
      this.#store.appendMessages(chat.id, fresh);
      const metadata = this.#touch(chat.id, chat.metadata);
      return { chat, fresh, skipped, metadata, firstIndex: count };
    });
    this.#emit({ chatId: result.chat.id, type: "metadata", metadata: result.metadata });
    if (result.fresh.length) {
      this.#emit({
        chatId: result.chat.id,
        type: "messages",
        ops: result.fresh.map((value) => ({ op: "add", path: "/-", value })),
      });
    }
    return {
      ok: true,
      appended: result.fresh.length,
      skipped: result.skipped,
      integrity: result.metadata.integrity as string,
      first_index: result.firstIndex,
    };
  }

  /**
   * Appends messages of an imported file to a chat as they are: each is checked, but neither compared
   * with the stored tail (a file may repeat a line) nor changed (a file whose `mes` and current swipe
   * differ keeps both), and stored in one transaction. A message that fails its check is left out and
   * handed to `onInvalid` with its position in `messages`. Returns how many were stored. Observers hear
   * of the chat once, when the import calls {@link imported}. An importer passes a small batch at a
   * time (what one read of the file held), so the heap holds few parsed messages at once.
   */
  appendImported(
    chatId: number,
    messages: readonly unknown[],
    onInvalid: (error: LodgeError, index: number) => void,
  ): number {
    const valid: ChatMessage[] = [];
    for (let i = 0; i < messages.length; i++) {
      try {
        valid.push(checkMessage(messages[i], { what: "message" }));
      } catch (error) {
        if (!(error instanceof LodgeError)) throw error;
        onInvalid(error, i);
      }
    }
    if (valid.length > 0) this.#store.transaction(() => this.#store.appendMessages(chatId, valid));
    return valid.length;
  }

  /** Tells observers that an imported chat is complete (see {@link appendImported}). */
  imported(chatId: number): void {
    this.#emit({ chatId, type: "replaced" });
  }

  /** Applies lenient ops to `chat_metadata`. */
  patchMetadata(
    target: ChatTarget | ChatKey,
    ops: PatchOp[],
    options: WriteOptions = {},
  ): { ok: true; integrity: string; chat_metadata: Record<string, unknown> } {
    const result = this.#store.transaction(() => {
      const chat = this.require(target);
      this.#checkIntegrity(chat, options.integrity, options.force);
      const next = applyPatch(chat.metadata, ops, "lenient");
      if (!isObject(next)) throw invalid("chat_metadata must stay an object");
      assertStorable(next, "chat_metadata");
      return { chat, metadata: this.#touch(chat.id, next) };
    });
    this.#emit({ chatId: result.chat.id, type: "metadata", metadata: result.metadata });
    return { ok: true, integrity: result.metadata.integrity as string, chat_metadata: result.metadata };
  }

  /** A window of messages with paging facts. */
  getDelta(target: ChatTarget | ChatKey, fromIndex: number, limit: number) {
    const chat = this.require(target);
    const chatPart = this.#store.getMessages(chat.id, fromIndex, limit);
    const next = fromIndex + chatPart.length;
    return {
      chat: chatPart,
      chat_metadata: chat.metadata,
      from_index: fromIndex,
      next_index: next,
      total_messages: chat.messageCount,
      has_more: next < chat.messageCount,
    };
  }

  /** Deletes a chat and its state. */
  delete(target: ChatTarget | ChatKey): { ok: true } {
    const chat = this.require(target);
    this.#store.deleteChat(chat.id);
    this.#emit({ chatId: chat.id, type: "deleted" });
    return { ok: true };
  }

  /** Renames a chat; its state moves with it. */
  rename(target: ChatTarget | ChatKey, newFile: string): ChatRecord {
    const record = this.#store.transaction(() => {
      const chat = this.require(target);
      const key = { ...chat.key, file: safeName(newFile.replace(/\.jsonl$/, ""), "new file name") };
      if (this.#store.findChat(key)) throw conflict("a chat with that name already exists");
      this.#store.renameChat(chat.id, key);
      return this.#store.findChat(key)!;
    });
    this.#emit({ chatId: record.id, type: "renamed", key: record.key });
    return record;
  }

  /** The chat as JSONL (header line, then one message per line) or as plain text. */
  export(target: ChatTarget | ChatKey, format: "jsonl" | "txt"): string {
    const chat = this.get(target);
    if (!chat) throw notFound("chat not found");
    const [header, ...messages] = chat;
    if (format === "jsonl") return [header, ...messages].map((l) => JSON.stringify(l)).join("\n") + "\n";
    return messages.map((m) => `${m.name ?? ""}: ${m.mes ?? ""}`).join("\n\n") + "\n";
  }

  /** Chats, most recent first. */
  list(filter: { kind?: ChatKey["kind"]; owner?: string; limit?: number } = {}): ChatRecord[] {
    return this.#store.listChats(filter);
  }

  /** Messages containing `query`, grouped per chat. */
  search(query: string, filter: { owner?: string; kind?: ChatKey["kind"]; limit?: number } = {}) {
    const hits = this.#store.searchMessages(query, { ...filter, limit: filter.limit ?? 200 });
    const byChat = new Map<number, { chat: ChatRecord; matches: { index: number; mes: unknown }[] }>();
    for (const hit of hits) {
      const entry = byChat.get(hit.chat.id) ?? { chat: hit.chat, matches: [] };
      entry.matches.push({ index: hit.index, mes: hit.message.mes });
      byChat.set(hit.chat.id, entry);
    }
    return [...byChat.values()];
  }

  #checkIntegrity(chat: ChatRecord, integrity: string | undefined, force: boolean | undefined): void {
    const current = chat.metadata.integrity;
    if (force || integrity === undefined || current === undefined || integrity === current) return;
    throw new LodgeError("integrity", "chat integrity mismatch", {
      error: "integrity",
      current_integrity: current,
    });
  }

  /** Stores metadata with a fresh integrity token and returns what was stored. */
  #touch(chatId: number, metadata: Record<string, unknown>): Record<string, unknown> {
    const next = { ...metadata, integrity: crypto.randomUUID() };
    this.#store.updateChatHeader(chatId, { metadata: next });
    return next;
  }

  #emit(change: ChatChange): void {
    for (const fn of this.#listeners) {
      try {
        fn(change);
      } catch (error) {
        console.error("chat change observer failed:", error);
      }
    }
  }
}

/**
 * The key of a chat's `extra` under which an import keeps the names of the file's header fields, in the
 * file's order, so an export writes the header line as it was: a group chat's header line (SillyTavern
 * after 1.12 and Luker write one), a header without `create_date`. Never part of the header itself.
 */
export const HEADER_FIELDS = "lodge:header_fields";

/** The header line: an imported file's own `create_date` and other fields win over the stored date. */
export function headerOf(chat: ChatRecord): ChatHeader {
  const { create_date, [HEADER_FIELDS]: _fields, ...rest } = chat.extra;
  return {
    user_name: chat.userName,
    character_name: chat.characterName,
    create_date: create_date === undefined ? new Date(chat.createdAt).toISOString() : create_date as string,
    chat_metadata: chat.metadata,
    ...rest,
  };
}

function parseIndex(segment: string, i: number): number {
  if (!/^(0|[1-9]\d*)$/.test(segment)) throw conflict(`operation ${i}: "${segment}" is not a message index`);
  return Number(segment);
}

function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
