/**
 * The page's model: the context mirror (everything `getContext()` reads except the message array), a
 * window of the open chat's messages loaded on demand, and toasts. Every change from the host, whoever
 * made it, arrives as mirror ops and is applied here; views only read signals.
 * @module
 */

import { batch, computed, signal } from "@preact/signals";
import type { ContextSnapshot } from "../../../core/context.ts";
import type { ChatMessage } from "../../../core/store.ts";
import { PeerMethod } from "../../../rpc/peer-methods.ts";
import { api, call, handleHost, whenConnected } from "./api.ts";

/** A character as the mirror lists it. */
export interface Character {
  name: string;
  avatar: string;
  description?: string;
  first_mes?: string;
  [field: string]: unknown;
}

/** The mirror: the host's context snapshot without `chat`, with `chatLength`. */
export type Mirror = Omit<ContextSnapshot, "chat" | "characters" | "presets" | "prompt"> & {
  characters: Character[];
  presets: Record<string, unknown>;
  chatLength: number;
};

/** The current mirror; null before the first connection. */
export const mirror = signal<Mirror | null>(null);

/**
 * Loaded messages of the open chat by index: a window around what was shown last, not the whole chat
 * (farther ones are dropped and load again when shown), so the page's memory does not grow with the chat.
 */
let loaded = new Map<number, ChatMessage>();
/** The open chat's length. */
let length = 0;
/** Bumped on every change of {@link loaded}, so views re-read it. */
export const messagesVersion = signal(0);
/** Bumped when the open chat is a different one (views reset scroll and selection). */
export const chatEpoch = signal(0);

/** The loaded message at an index, if loaded. */
export function messageAt(index: number): ChatMessage | undefined {
  return loaded.get(index);
}

/** The selected character, if a character chat is open. */
export const currentCharacter = computed(() => {
  const m = mirror.value;
  return m && m.characterId !== null ? m.characters[m.characterId] ?? null : null;
});

/** The selected group, if a group chat is open. */
export const currentGroup = computed(() => {
  const m = mirror.value;
  return m?.groupId ? m.groups.find((g) => g.id === m.groupId) ?? null : null;
});

/** The persona avatar file of the user (`user_avatar` in settings), for the user's messages. */
export const userAvatar = signal<string | undefined>(undefined);

/** A toast: a short message shown for a few seconds (errors stay until dismissed). */
export interface Toast {
  id: number;
  kind: "info" | "error" | "progress";
  text: string;
}
export const toasts = signal<Toast[]>([]);
let nextToast = 1;

/** Shows a toast; errors stay until dismissed, others fade after 4 s. Returns its id. */
export function toast(text: string, kind: Toast["kind"] = "info"): number {
  const id = nextToast++;
  toasts.value = [...toasts.value, { id, kind, text }];
  if (kind === "info") setTimeout(() => dismiss(id), 4_000);
  return id;
}

/** Removes a toast. */
export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/** Shows an error toast for a failure. */
export function reportError(error: unknown): void {
  toast(error instanceof Error ? error.message : String(error), "error");
}

/** Runs an action, showing its error as a toast; answers undefined on failure. */
export async function attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    reportError(error);
    return undefined;
  }
}

/** The route body naming the open chat (character or group form), or null when none is open. */
export function chatTarget(m: Mirror | null = mirror.peek()): Record<string, unknown> | null {
  if (!m?.chatId) return null;
  if (m.groupId) return { id: m.chatId };
  const character = m.characterId !== null ? m.characters[m.characterId] : undefined;
  return character ? { avatar_url: character.avatar, file_name: m.chatId } : null;
}

/** The `/api/chats` prefix of the open chat's kind. */
export function chatRoutes(m: Mirror | null = mirror.peek()): string {
  return m?.groupId ? "/api/chats/group" : "/api/chats";
}

const inFlight = new Set<number>();
/** Bumped when messages move (an insert or a removal): a page loaded before that is dropped. */
let shifts = 0;
const PAGE = 60;
/** Loaded messages beyond this many are dropped when they are farther than {@link KEEP} from the view. */
const MAX_LOADED = 1_200;
const KEEP = 300;

/**
 * Makes sure messages [from, to) are loaded, in pages from `/api/chats/get-delta`, and drops loaded ones
 * far from that range. Answers once they are (or the chat changed meanwhile, in which case the answer is
 * dropped).
 */
export async function ensureLoaded(from: number, to: number): Promise<void> {
  const m = mirror.peek();
  const target = chatTarget(m);
  if (!m || !target) return;
  const start = Math.max(0, Math.floor(from / PAGE) * PAGE);
  const end = Math.min(length, to);
  if (loaded.size > MAX_LOADED) {
    for (const index of loaded.keys()) if (index < start - KEEP || index >= end + KEEP) loaded.delete(index);
  }
  const jobs: Promise<void>[] = [];
  for (let page = start; page < end; page += PAGE) {
    let missing = false;
    for (let i = page; i < Math.min(page + PAGE, end) && !missing; i++) missing = !loaded.has(i);
    if (!missing || inFlight.has(page)) continue;
    inFlight.add(page);
    const epoch = chatEpoch.peek(), moved = shifts;
    jobs.push(
      api<{ chat: ChatMessage[]; from_index: number }>(`${chatRoutes(m)}/get-delta`, {
        ...target,
        from_index: page,
        limit: PAGE,
      }).then((delta) => {
        if (chatEpoch.peek() !== epoch || shifts !== moved) return;
        delta.chat.forEach((message, i) => {
          const index = delta.from_index + i;
          if (!loaded.has(index)) loaded.set(index, message);
        });
        messagesVersion.value++;
      }).finally(() => inFlight.delete(page)),
    );
  }
  await Promise.all(jobs);
}

function resetMessages(count: number): void {
  loaded = new Map();
  length = count;
  inFlight.clear();
  chatEpoch.value++;
  messagesVersion.value++;
}

/** Applies mirror ops: message ops to the window, the rest to the mirror. */
function applyOps(ops: { op: string; path: string; value?: unknown; from?: string }[]): void {
  const m = mirror.peek();
  if (!m) return;
  const next: Record<string, unknown> = { ...m };
  let chatChanged = false;
  let messagesChanged = false;
  let mirrorChanged = false;
  for (const op of ops) {
    const segments = op.path.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const [head, ...rest] = segments;
    if (head === "chat") {
      applyMessageOp(op, rest);
      messagesChanged = true;
      continue;
    }
    mirrorChanged = true;
    if (head === "chatId" || head === "characterId" || head === "groupId") {
      chatChanged ||= next[head] !== op.value;
    }
    if (head === "chatLength" && rest.length === 0) {
      next.chatLength = op.value;
      chatChanged = true; // a whole-chat replace: the loaded window is stale
      continue;
    }
    next[head] = rest.length === 0 ? op.value : setIn(next[head], rest, op);
  }
  if (messagesChanged && next.chatLength !== length) {
    next.chatLength = length;
    mirrorChanged = true;
  }
  batch(() => {
    // an edit of a message leaves the mirror as it is: views of everything else do not re-render
    if (mirrorChanged) mirror.value = next as unknown as Mirror;
    if (chatChanged) resetMessages(Number(next.chatLength));
    else if (messagesChanged) messagesVersion.value++;
  });
}

/** Moves the loaded messages at `from` and after by `by` places (an insert or a removal before them). */
function shiftLoaded(from: number, by: number): void {
  const moved = new Map<number, ChatMessage>();
  for (const [index, message] of loaded) moved.set(index >= from ? index + by : index, message);
  loaded = moved;
}

function applyMessageOp(op: { op: string; value?: unknown }, rest: string[]): void {
  const [head, ...inner] = rest;
  const index = head === "-" ? length : Number(head);
  if (inner.length === 0) {
    if (op.op === "add") {
      if (index < length) {
        shifts++;
        shiftLoaded(index, 1);
      }
      loaded.set(index, structuredClone(op.value) as ChatMessage);
      length++;
    } else if (op.op === "replace") loaded.set(index, structuredClone(op.value) as ChatMessage);
    else if (op.op === "remove") {
      shifts++;
      loaded.delete(index);
      shiftLoaded(index + 1, -1);
      length--;
    }
    return;
  }
  const message = loaded.get(index);
  if (message) loaded.set(index, setIn(message, inner, op) as ChatMessage);
}

/** A copy of `value` with the op applied at the path inside it (copy on write, so signals see a change). */
function setIn(value: unknown, path: string[], op: { op: string; value?: unknown }): unknown {
  const [key, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const i = key === "-" ? copy.length : Number(key);
    if (rest.length > 0) copy[i] = setIn(copy[i], rest, op);
    else if (op.op === "add") copy.splice(i, 0, op.value);
    else if (op.op === "remove") copy.splice(i, 1);
    else copy[i] = op.value;
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown> ?? {}) };
  if (rest.length > 0) copy[key] = setIn(copy[key], rest, op);
  else if (op.op === "remove") delete copy[key];
  else copy[key] = op.value;
  return copy;
}

handleHost(PeerMethod.MIRROR, (params) => {
  const p = params as { ops?: { op: string; path: string; value?: unknown }[] };
  if (Array.isArray(p?.ops)) applyOps(p.ops);
});

// On every (re)connection: a fresh mirror and a fresh message window (whatever happened while offline).
whenConnected(async () => {
  const snapshot = await call("mirror.subscribe") as unknown as Mirror;
  batch(() => {
    mirror.value = snapshot;
    resetMessages(snapshot.chatLength);
  });
});
