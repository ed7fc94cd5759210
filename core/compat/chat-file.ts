/**
 * SillyTavern chat files (`.jsonl`: a header line, then one message per line), read and written a line
 * at a time so a chat of any length costs memory for one batch of messages, never the whole file.
 * @module
 */

import { type ChatHeader, type ChatService, HEADER_FIELDS, headerOf } from "../chats.ts";
import { invalid, LodgeError } from "../errors.ts";
import { isObject } from "../json.ts";
import { type ByteReader, readLines } from "../lines.ts";
import { checkChatHeader } from "../schema/mod.ts";
import type { ChatKey, ChatRecord } from "../store.ts";

/** Messages stored per transaction while importing. */
const BATCH = 1000;
/** Messages read back per write while exporting: a page held across the write is what V8 sizes its heap by. */
const PAGE = 100;
/** The longest line (one message) an import reads. */
export const MAX_LINE = 64 * 1024 * 1024;

/** A line of a file that was not imported, and why. */
export interface SkippedLine {
  /** 1-based line number in the file. */
  line: number;
  /** Why it was left out. */
  reason: string;
}

/** What {@link importChatFile} did. */
export interface ChatFileImport {
  /** The new chat. */
  chat: ChatRecord;
  /** Messages stored. */
  messages: number;
  /** Lines left out (not JSON, or a message that fails the typed check). */
  skipped: SkippedLine[];
}

/** Options of {@link importChatFile}. */
export interface ChatFileOptions {
  /**
   * The file may have no header line (SillyTavern 1.12's group chats: every line a message, the metadata
   * kept in the group): the chat takes these header fields unless the first line is a header after all.
   */
  headerless?: { userName: string; characterName: string; metadata: Record<string, unknown> };
  /** The buffer to read the file into; an import of many files passes one for all of them. */
  buffer?: Uint8Array;
}

/**
 * Creates the chat `key` from a SillyTavern `.jsonl` file. The header's `user_name`, `character_name`
 * and `chat_metadata` become the chat's; its other fields (`create_date`, unknown ones) are kept for
 * export. A bad message line is skipped and reported; a file without a header line fails as a whole
 * (`invalid`), and so does an existing chat (`conflict`). A failure part way removes the partial chat.
 *
 * @example
 * ```ts
 * const file = await Deno.open("chats/Alice/Alice - 2024-5-1 @10h 00m 00s 000ms.jsonl");
 * await importChatFile(lodge.chats, { kind: "character", owner: "Alice.png", file: "Alice - ..." }, file);
 * ```
 */
export async function importChatFile(
  chats: ChatService,
  key: ChatKey,
  source: ByteReader,
  options: ChatFileOptions = {},
): Promise<ChatFileImport> {
  const skipped: SkippedLine[] = [];
  let chat: ChatRecord | null = null;
  // A batch is what one read of the file held (or BATCH lines): its lines are parsed and stored before
  // the next read, so the heap holds a few dozen parsed messages at a time, whatever the chat's length.
  let batch: string[] = [];
  let numbers: number[] = [];
  let stored = 0;
  let lineNo = 0;
  const flush = () => {
    const first = skipped.length;
    const messages: unknown[] = [];
    const at: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      try {
        messages.push(JSON.parse(batch[i]));
        at.push(numbers[i]);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        skipped.push({ line: numbers[i], reason: `not JSON: ${error.message}` });
      }
    }
    batch = [];
    numbers = [];
    stored += chats.appendImported(chat!.id, messages, (error, i) => {
      skipped.push({ line: at[i], reason: error.message });
    });
    if (skipped.length - first > 1) {
      skipped.splice(
        first,
        Infinity,
        ...skipped.slice(first).sort((a, b) => a.line - b.line),
      );
    }
  };
  try {
    // Each read's lines are stored before the next read: what a garbage collection finds alive stays
    // small, and with it how far V8 grows its heap (a batch held across reads doubled it).
    const reader: ByteReader = {
      read: (buffer) => {
        if (batch.length > 0 && chat !== null) flush();
        return source.read(buffer);
      },
    };
    await readLines(
      reader,
      (raw) => {
        lineNo++;
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (chat === null) {
          const headerless = options.headerless;
          if (!headerless || looksLikeHeader(line)) {
            chat = chats.create(key, headerFields(line));
            return;
          }
          chat = chats.create(key, headerless);
        }
        if (line.trim() === "") return;
        batch.push(line);
        numbers.push(lineNo);
        if (batch.length >= BATCH) flush();
      },
      MAX_LINE,
      { trailing: true, buffer: options.buffer },
    );
    if (chat === null && options.headerless) chat = chats.create(key, options.headerless);
    if (chat === null) throw invalid("the chat file is empty (no header line)");
    flush();
  } catch (error) {
    if (chat !== null) chats.delete((chat as ChatRecord).key);
    if (error instanceof RangeError) throw invalid(`line ${lineNo + 1}: ${error.message}`);
    throw error;
  }
  const created = chat as ChatRecord;
  chats.imported(created.id);
  return { chat: chats.find(created.key)!, messages: stored, skipped };
}

/** Whether a line is a header (it has no `mes` and has a header field), read cheaply from its text. */
function looksLikeHeader(line: string): boolean {
  try {
    const value = JSON.parse(line);
    return isObject(value) && !("mes" in value) && ("chat_metadata" in value || "user_name" in value);
  } catch {
    return false;
  }
}

/** The header line as `create` takes it; a line that is not a header fails the file. */
function headerFields(line: string): Parameters<ChatService["create"]>[1] {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch (error) {
    throw invalid(`line 1 (the header) is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(header) || (header.user_name === undefined && header.name === undefined)) {
    throw invalid("line 1 is not a chat header (it has no user_name)");
  }
  const { userName, characterName, metadata, extra } = checkChatHeader(header, { what: "line 1" });
  return {
    userName: userName ?? "User",
    characterName: characterName ?? "",
    metadata: metadata ?? {},
    extra: { ...extra, [HEADER_FIELDS]: Object.keys(header) },
  };
}

/** Writes text to a destination, in order (a file, a response stream). */
export interface TextSink {
  write(text: string): Promise<void>;
}

/**
 * Writes a chat as SillyTavern's `.jsonl` (lines joined by `\n`, no newline after the last, as
 * SillyTavern writes them), reading its messages a page at a time. A group chat has no header line (as
 * SillyTavern 1.12 writes them) unless it was imported with one.
 *
 * @example
 * ```ts
 * const parts: string[] = [];
 * await writeChatFile(lodge.chats, chat, { write: async (t) => void parts.push(t) });
 * ```
 */
export async function writeChatFile(chats: ChatService, chat: ChatRecord, sink: TextSink): Promise<void> {
  const fields = chat.extra[HEADER_FIELDS];
  const withHeader = chat.key.kind === "character" || Array.isArray(fields) ||
    Object.keys(chat.extra).length > 0;
  if (withHeader) {
    const header: ChatHeader = headerOf(chat);
    await sink.write(JSON.stringify(Array.isArray(fields) ? asInFile(header, fields, chat) : header));
  }
  let first = !withHeader;
  for (let from = 0; from < chat.messageCount; from += PAGE) {
    const page = chats.messages(chat.id, from, PAGE);
    if (page.length === 0) break;
    const text = page.map((m) => "\n" + JSON.stringify(m)).join("");
    await sink.write(first ? text.slice(1) : text);
    first = false;
  }
}

/**
 * The header with the fields of the imported file's header line in its order; fields the chat gained
 * since follow. A `create_date` the file did not have is left out (the chat's own is only a stand-in).
 */
function asInFile(header: ChatHeader, fields: unknown[], chat: ChatRecord): Record<string, unknown> {
  const all: Record<string, unknown> = { ...header };
  if (!fields.includes("create_date") && chat.extra.create_date === undefined) delete all.create_date;
  const out: Record<string, unknown> = {};
  for (const key of fields) if (typeof key === "string" && key in all) out[key] = all[key];
  return Object.assign(out, all);
}

/** Whether an error is one an importer reports and goes on from (bad input, a name taken). */
export function isReportable(error: unknown): error is LodgeError {
  return error instanceof LodgeError && (error.kind === "invalid" || error.kind === "conflict");
}
