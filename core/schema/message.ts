/**
 * A chat message as SillyTavern 1.12.6 stores it (one line of a `.jsonl` chat), and the header line that
 * starts a chat file: the fields it writes are typed, every other field is kept as it is, so real
 * SillyTavern files pass unchanged.
 * @module
 */

import { z } from "zod";
import type { ChatMessage } from "../store.ts";
import { checkStored, type Place, storedChecker } from "./validate.ts";

/** `send_date`: SillyTavern writes a display string; older chats hold a millisecond timestamp. */
const Timestamp = z.union([z.string(), z.number()]);
/** `gen_started` / `gen_finished`: a `Date` serialised by JSON (a string; `null` for an invalid date). */
const GenTime = z.union([z.string(), z.number(), z.null()]);

/**
 * One chat message. `swipe_id`, when the message has `swipes`, indexes one of them.
 *
 * @example
 * ```ts
 * ChatMessageSchema.parse({ name: "Alice", is_user: false, mes: "Hi", swipes: ["Hi"], swipe_id: 0 });
 * ChatMessageSchema.safeParse({ mes: 12345 }).success; // false: mes must be a string
 * ```
 */
export const ChatMessageSchema = z.looseObject({
  name: z.string().optional(),
  mes: z.string().optional(),
  is_user: z.boolean().optional(),
  is_system: z.boolean().optional(),
  /** Older chats mark narrator lines with it. */
  is_name: z.boolean().optional(),
  send_date: Timestamp.optional(),
  swipes: z.array(z.string()).optional(),
  swipe_id: z.number().int().min(0).optional(),
  swipe_info: z.array(z.unknown()).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  force_avatar: z.string().optional(),
  original_avatar: z.string().optional(),
  title: z.string().optional(),
  gen_started: GenTime.optional(),
  gen_finished: GenTime.optional(),
}).superRefine((m, ctx) => {
  if (m.swipes && m.swipes.length > 0 && m.swipe_id !== undefined && m.swipe_id >= m.swipes.length) {
    ctx.addIssue({
      code: "custom",
      path: ["swipe_id"],
      message: `swipe_id ${m.swipe_id} is outside swipes (${m.swipes.length})`,
    });
  }
});

/** Every message written is checked, so the check skips zod's copy of a message that passes. */
const messageChecker = storedChecker<unknown>(ChatMessageSchema);

/**
 * Checks one message as it will be stored (types, finite numbers, nesting) and returns it; throws
 * `invalid` with the path otherwise. `place.what` names it in the error (e.g. `message 3`).
 */
export function checkMessage(message: unknown, place: Place): ChatMessage {
  return messageChecker(message, place) as ChatMessage;
}

/**
 * Restores SillyTavern's invariant `swipes[swipe_id] === mes` on a message about to be stored. When the
 * write changed `mes` (or the message is new) the current swipe takes the text; when it changed only
 * `swipes` or `swipe_id` (a swipe), `mes` takes the current swipe's text. Returns the message to store
 * (a new object when something had to change). `previous` is the stored message (null for a new one),
 * or a function returning it.
 *
 * @example
 * ```ts
 * syncSwipes({ mes: "new", swipes: ["old"], swipe_id: 0 }, { mes: "old", swipes: ["old"], swipe_id: 0 });
 * // { mes: "new", swipes: ["new"], swipe_id: 0 }
 * ```
 */
export function syncSwipes(
  next: ChatMessage,
  previous: ChatMessage | null | (() => ChatMessage | null),
): ChatMessage {
  const swipes = next.swipes;
  const id = next.swipe_id;
  if (!Array.isArray(swipes) || typeof id !== "number" || id >= swipes.length) return next;
  if (typeof next.mes !== "string" || swipes[id] === next.mes) return next;
  // Only a mismatch needs the stored message (a getter, so the common write reads nothing more).
  if (typeof previous === "function") previous = previous();
  const swiped = previous !== null && previous.mes === next.mes &&
    (previous.swipe_id !== id || !sameStrings(previous.swipes, swipes));
  if (swiped) return { ...next, mes: swipes[id] };
  const copy = [...swipes];
  copy[id] = next.mes;
  return { ...next, swipes: copy };
}

function sameStrings(a: unknown, b: readonly unknown[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The header line of a chat file as SillyTavern 1.12.6 writes it. Its other fields (older files', an
 * extension's) are kept as they are.
 *
 * @example
 * ```ts
 * ChatHeaderSchema.parse({ user_name: "Robin", character_name: "Alice", create_date: "2024-5-1 @10h 00m 00s 000ms", chat_metadata: {} });
 * ChatHeaderSchema.safeParse({ user_name: 7 }).success; // false: user_name must be a string
 * ```
 */
export const ChatHeaderSchema = z.looseObject({
  user_name: z.string().optional(),
  character_name: z.string().optional(),
  /** SillyTavern writes a display string; older chats hold a millisecond timestamp. */
  create_date: Timestamp.optional(),
  chat_metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The fields of a checked header line, split as a chat stores them. */
export interface CheckedHeader {
  userName?: string;
  characterName?: string;
  metadata?: Record<string, unknown>;
  /** Every other field (`create_date`, unknown ones), as given. */
  extra: Record<string, unknown>;
}

/**
 * Checks a chat's header line as it will be stored and splits it into the chat's own fields and the
 * rest; throws `invalid` with the path otherwise.
 */
export function checkChatHeader(header: unknown, place: Place): CheckedHeader {
  const checked = checkStored(ChatHeaderSchema, header, place) as z.infer<typeof ChatHeaderSchema>;
  const { user_name, character_name, chat_metadata, ...extra } = checked;
  return { userName: user_name, characterName: character_name, metadata: chat_metadata, extra };
}
