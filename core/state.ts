/**
 * Plugin state bound to a chat (chat state) or to a character card (character state), one JSON object
 * per namespace, changed with lenient RFC 6902 patches.
 * @module
 */

import { invalid, notFound } from "./errors.ts";
import { isObject } from "./json.ts";
import { normalizeNamespace } from "./names.ts";
import { applyPatch, type PatchOp } from "./patch.ts";
import { assertOpsStorable, assertStorable } from "./schema/mod.ts";
import type { Store } from "./store.ts";

/** Result of a state patch. */
export interface StatePatchResult {
  ok: true;
  applied: number;
  created: boolean;
  data: unknown;
}

/** Chat state by chat id and namespace. */
export class ChatStateService {
  #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The state of one namespace or null. */
  get(chatId: number, namespace: string): unknown | null {
    return this.#store.getChatState(chatId, normalizeNamespace(namespace));
  }

  /** The states of several namespaces, keyed by the names as given (null when absent). */
  getBatch(chatId: number, namespaces: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const ns of namespaces) out[ns] = this.get(chatId, ns);
    return out;
  }

  /** Applies ops starting from `{}` when there is no state yet. */
  patch(chatId: number, namespace: string, ops: PatchOp[]): StatePatchResult {
    const ns = normalizeNamespace(namespace);
    assertOpsStorable(ops, "chat state");
    return this.#store.transaction(() => {
      const current = this.#store.getChatState(chatId, ns);
      const next = objectResult(applyPatch(current ?? {}, ops, "lenient"));
      this.#store.putChatState(chatId, ns, next);
      return { ok: true as const, applied: ops.length, created: current === null, data: next };
    });
  }

  /** Removes a namespace's state. */
  delete(chatId: number, namespace: string): { ok: true; deleted: boolean } {
    return { ok: true, deleted: this.#store.deleteChatState(chatId, normalizeNamespace(namespace)) };
  }
}

/** Character state by avatar and namespace. */
export class CharacterStateService {
  #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The state of one namespace or null; `not_found` for an unknown character. */
  get(avatar: string, namespace: string): unknown | null {
    this.#requireCharacter(avatar);
    return this.#store.getCharacterState(avatar, normalizeNamespace(namespace));
  }

  /** Replaces the state; `null` deletes it. */
  set(avatar: string, namespace: string, data: unknown): { ok: true; deleted?: boolean } {
    const ns = normalizeNamespace(namespace);
    this.#requireCharacter(avatar);
    if (data === null) return { ok: true, deleted: this.#store.deleteCharacterState(avatar, ns) };
    if (typeof data !== "object" || data === undefined) {
      throw invalid("character state must be an object or null");
    }
    assertStorable(data, "character state");
    this.#store.putCharacterState(avatar, ns, data);
    return { ok: true };
  }

  /** Applies ops starting from `{}` when there is no state yet. */
  patch(avatar: string, namespace: string, ops: PatchOp[]): StatePatchResult {
    const ns = normalizeNamespace(namespace);
    assertOpsStorable(ops, "character state");
    return this.#store.transaction(() => {
      this.#requireCharacter(avatar);
      const current = this.#store.getCharacterState(avatar, ns);
      const next = objectResult(applyPatch(current ?? {}, ops, "lenient"));
      this.#store.putCharacterState(avatar, ns, next);
      return { ok: true as const, applied: ops.length, created: current === null, data: next };
    });
  }

  /** Removes a namespace's state. */
  delete(avatar: string, namespace: string): { ok: true; deleted: boolean } {
    const ns = normalizeNamespace(namespace);
    this.#requireCharacter(avatar);
    return { ok: true, deleted: this.#store.deleteCharacterState(avatar, ns) };
  }

  #requireCharacter(avatar: string): void {
    if (!this.#store.getCharacter(avatar)) throw notFound(`character ${avatar} not found`);
  }
}

/** State is one JSON object per namespace: a root op that would store anything else is bad input. */
function objectResult(next: unknown): Record<string, unknown> {
  if (!isObject(next)) throw invalid("state must stay a JSON object");
  return next;
}
