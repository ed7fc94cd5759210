/**
 * Message takeover, host side. A `GENERATE_TAKEOVER_DISPATCH` listener claims the turn by setting
 * `takeoverHandle` to a handle (`{ takeoverId }` in its JSON form; a plugin makes one with
 * `createMessageEditorHandle`). The plugin then sends the text it produces (`takeover.update`) and
 * settles the handle once (`takeover.settle`: committed, aborted or discarded); the pipeline writes
 * the text through the same path as a streamed reply. Handles are scoped by owner, so nobody settles
 * another plugin's handle.
 * @module
 */

import { invalid } from "../errors.ts";

/** How a handle was settled. */
export type TakeoverStatus = "committed" | "aborted" | "discarded";

/** One claimed (or soon claimed) handle. */
export class Takeover {
  text = "";
  reasoning = "";
  status: TakeoverStatus | null = null;
  /** Set once the generation was stopped: the plugin learns it from its next update. */
  aborted = false;
  /** Called with each update while the pipeline listens. */
  onUpdate: ((text: string, reasoning: string) => void) | null = null;
  /** Whether a generation took it (then it stays until settled). */
  claimed = false;
  readonly #settled = Promise.withResolvers<TakeoverStatus>();

  /** Resolves with the status once the handle is settled. */
  get settled(): Promise<TakeoverStatus> {
    return this.#settled.promise;
  }

  /** Takes new buffer contents (ignored once settled). */
  update(text: string, reasoning: string): void {
    if (this.status) return;
    this.text = text;
    this.reasoning = reasoning;
    this.onUpdate?.(text, reasoning);
  }

  /** Settles the handle; the first status wins. */
  settle(status: TakeoverStatus, text: string, reasoning: string): void {
    if (this.status) return;
    this.update(text, reasoning);
    this.status = status;
    this.#settled.resolve(status);
  }
}

/** Handles by owner and id. */
export class TakeoverRegistry {
  readonly #handles = new Map<string, Takeover>();

  /** The handle of an owner, made on first use (updates may arrive before the claim is seen). */
  open(owner: string, id: string): Takeover {
    if (typeof id !== "string" || !id || id.length > 128) throw invalid("a takeover id is 1-128 characters");
    const key = `${owner}\u0000${id}`;
    let handle = this.#handles.get(key);
    if (!handle) {
      this.#handles.set(key, handle = new Takeover());
      // settled handles go after a grace period for late updates; unclaimed ones after a minute
      const forget = () => this.#handles.delete(key);
      const timer = setTimeout(() => handle!.claimed || forget(), 60_000);
      Deno.unrefTimer(timer);
      handle.settled.then(() => {
        clearTimeout(timer);
        Deno.unrefTimer(setTimeout(forget, 5_000));
      });
    }
    return handle;
  }
}
