/**
 * Which SillyTavern events a write to the open chat causes, worked out from the ops the chat service
 * applied, so every door (the message API, the `/api/chats` routes, the low-level RPC transports) emits
 * the same ones: a new message `MESSAGE_SENT` (user) or `MESSAGE_RECEIVED` (others) then its
 * `*_MESSAGE_RENDERED`; an edited one `MESSAGE_EDITED` then `MESSAGE_UPDATED`; removed ones one
 * `MESSAGE_DELETED(chat.length, { kind: "delete", ...sequence range })`.
 * @module
 */

import { eventTypes } from "./event-types.ts";
import type { PatchOp } from "./patch.ts";
import type { ChatMessage } from "./store.ts";

/** What one write did to the open chat's messages. */
export interface ChatEffects {
  /** Indexes of new messages, in the order they were added. */
  added: number[];
  /** Indexes of changed messages. */
  edited: Set<number>;
  /** 1-based positions of removed messages among playable and assistant messages, before removal. */
  removed: { playable: number[]; assistant: number[] } | null;
  /** The whole chat was replaced (a full save). */
  replaced: boolean;
}

/** Fresh, empty effects. */
export function noEffects(): ChatEffects {
  return { added: [], edited: new Set(), removed: null, replaced: false };
}

/**
 * Records what `op` does; call it with the messages as they are just BEFORE `op` applies. Ops are the
 * chat service's effective ops (`/-`, `/N`, `/N/...`), already validated.
 */
export function recordEffect(effects: ChatEffects, chat: readonly ChatMessage[], op: PatchOp): void {
  const head = op.path.split("/")[1];
  const whole = op.path.indexOf("/", 1) === -1;
  if (head === "-") {
    effects.added.push(chat.length);
    return;
  }
  const index = Number(head);
  if (whole && op.op === "add") {
    effects.added = effects.added.map((i) => i >= index ? i + 1 : i);
    effects.added.push(index);
  } else if (whole && op.op === "remove") {
    effects.removed ??= { playable: [], assistant: [] };
    const { playable, assistant } = positionOf(chat, index);
    if (playable !== null) effects.removed.playable.push(playable);
    if (assistant !== null) effects.removed.assistant.push(assistant);
    effects.added = effects.added.filter((i) => i !== index).map((i) => i > index ? i - 1 : i);
  } else if (!effects.added.includes(index)) {
    effects.edited.add(index);
  }
}

/** The events to emit for `effects`, in order, each as `[event, ...args]`. */
export function effectEvents(
  effects: ChatEffects,
  chat: readonly ChatMessage[],
  chatId: string,
): unknown[][] {
  const out: unknown[][] = [];
  if (effects.replaced) out.push([eventTypes.CHAT_LOADED, { chatId }]);
  for (const index of effects.added) {
    const user = chat[index]?.is_user === true;
    out.push([user ? eventTypes.MESSAGE_SENT : eventTypes.MESSAGE_RECEIVED, index]);
    out.push([user ? eventTypes.USER_MESSAGE_RENDERED : eventTypes.CHARACTER_MESSAGE_RENDERED, index]);
  }
  for (const index of effects.edited) {
    out.push([eventTypes.MESSAGE_EDITED, index], [eventTypes.MESSAGE_UPDATED, index]);
  }
  if (effects.removed) {
    const { playable, assistant } = effects.removed;
    out.push([eventTypes.MESSAGE_DELETED, chat.length, {
      kind: "delete",
      deletedPlayableSeqFrom: playable.length ? Math.min(...playable) : null,
      deletedPlayableSeqTo: playable.length ? Math.max(...playable) : null,
      deletedAssistantSeqFrom: assistant.length ? Math.min(...assistant) : null,
      deletedAssistantSeqTo: assistant.length ? Math.max(...assistant) : null,
    }]);
  }
  return out;
}

/** 1-based position of `index` among playable (non-system) and among assistant messages. */
function positionOf(chat: readonly ChatMessage[], index: number) {
  let playable = 0, assistant = 0;
  for (let i = 0; i <= index && i < chat.length; i++) {
    if (chat[i].is_system) continue;
    playable++;
    if (!chat[i].is_user) assistant++;
  }
  const m = chat[index];
  if (!m || m.is_system) return { playable: null, assistant: null };
  return { playable, assistant: m.is_user ? null : assistant };
}
