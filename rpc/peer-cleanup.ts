/**
 * What a connection registers (macros, slash commands, regex providers) goes when it closes: one close
 * hook per connection and kind, however many registrations it makes.
 * @module
 */

import type { Peer } from "./method.ts";

const hooked = new WeakMap<Peer, Set<string>>();

/**
 * Runs `cleanUp` when `peer` closes, at most once per peer for each `kind`; nothing for callers without
 * a connection (plain HTTP), whose registrations stay until removed.
 *
 * @example
 * ```ts
 * cleanUpOnClose(ctx.peer, "slash", () => lodge.slash.registry.removeOwner(owner));
 * ```
 */
export function cleanUpOnClose(peer: Peer | undefined, kind: string, cleanUp: () => void): void {
  if (!peer) return;
  let kinds = hooked.get(peer);
  if (!kinds) hooked.set(peer, kinds = new Set());
  if (kinds.has(kind)) return;
  kinds.add(kind);
  peer.onClose(cleanUp);
}
