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

/** Loaded messages of the open chat by index (holes are not loaded yet). */
let loaded: (ChatMessage | undefined)[] = [];
/** Bumped on every change of {@link loaded}, so views re-read it. */
export const messagesVersion = signal(0);
/** Bumped when the open chat is a different one (views reset scroll and selection). */
export const chatEpoch = signal(0);

/** The loaded message at an index, if loaded. */
export function messageAt(index: number): ChatMessage | undefined {
  return loaded[index];
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

/**
 * Makes sure messages [from, to) are loaded, in pages from `/api/chats/get-delta`. Answers once they are
 * (or the chat changed meanwhile, in which case the answer is dropped).
 */
export async function ensureLoaded(from: number, to: number): Promise<void> {
  const m = mirror.peek();
  const target = chatTarget(m);
  if (!m || !target) return;
  const start = Math.max(0, Math.floor(from / PAGE) * PAGE);
  const end = Math.min(m.chatLength, to);
  const jobs: Promise<void>[] = [];
  for (let page = start; page < end; page += PAGE) {
    let missing = false;
    for (let i = page; i < Math.min(page + PAGE, end); i++) if (!loaded[i]) missing = true;
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
        delta.chat.forEach((message, i) => loaded[delta.from_index + i] ??= message);
        messagesVersion.value++;
      }).finally(() => inFlight.delete(page)),
    );
  }
  await Promise.all(jobs);
}

function resetMessages(length: number): void {
  loaded = new Array(length);
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
  for (const op of ops) {
    const segments = op.path.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const [head, ...rest] = segments;
    if (head === "chat") {
      applyMessageOp(op, rest);
      messagesChanged = true;
      continue;
    }
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
  batch(() => {
    if (messagesChanged) next.chatLength = loaded.length;
    mirror.value = next as unknown as Mirror;
    if (chatChanged) resetMessages(Number(next.chatLength));
    else if (messagesChanged) messagesVersion.value++;
  });
}

function applyMessageOp(op: { op: string; value?: unknown }, rest: string[]): void {
  const [head, ...inner] = rest;
  const index = head === "-" ? loaded.length : Number(head);
  if (inner.length === 0) {
    if (op.op === "remove" || (op.op === "add" && index < loaded.length)) shifts++;
    if (op.op === "add") loaded.splice(index, 0, structuredClone(op.value) as ChatMessage);
    else if (op.op === "replace") loaded[index] = structuredClone(op.value) as ChatMessage;
    else if (op.op === "remove") loaded.splice(index, 1);
    return;
  }
  const message = loaded[index];
  if (message) loaded[index] = setIn(message, inner, op) as ChatMessage;
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
