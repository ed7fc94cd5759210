/**
 * The host's {@link RequestSequencer} for one sandbox process: awaited event deliveries to several of
 * its workers go out in one `seq` envelope, and the sandbox process posts each worker's frame as soon as
 * the worker before it answered `null`, so a hook that three plugins listen to costs one host round
 * trip instead of three while nobody edits the payload. Answers come back on the ordinary path (each to
 * its {@link PluginPeer}), those that end nothing together when the sequence ends, each after the time
 * its worker took ({@link SandboxSequencer.took}); what the sandbox process reports of the sequence
 * itself (`seq-stop`, `seq-timeout`) settles the requests that get no answer.
 * @module
 */

import { LodgeError } from "../core/errors.ts";
import { NOT_SENT, type RequestSequencer, type SequencedRequest } from "../rpc/method.ts";
import type { PluginPeer } from "./peer.ts";
import type { SequenceItem } from "./sandbox/protocol.ts";

/**
 * Added to the sum of a sequence's deadlines for the host's own deadline, a safety net for a sandbox
 * process that stops reporting (its heartbeat ends it soon after).
 */
const SAFETY_MS = 2_000;

/** One sent request of an open sequence. */
interface Sent {
  peer: PluginPeer;
  id: string;
  timeoutMs: number;
  took?: (ms: number) => void;
}

/** See the module documentation. */
export class SandboxSequencer implements RequestSequencer {
  readonly #send: (seq: number, items: SequenceItem[]) => void;
  /** Each open sequence's requests, and when the host stops waiting for them ({@link sweep}). */
  readonly #open = new Map<number, { sent: Sent[]; until: number }>();
  #next = 1;

  /** @param send writes a `seq` envelope to the sandbox process */
  constructor(send: (seq: number, items: SequenceItem[]) => void) {
    this.#send = send;
  }

  /** Sends the requests as one sequence; see {@link RequestSequencer}. Every peer must be of this process. */
  sequence(requests: SequencedRequest[]): Promise<unknown>[] {
    const seq = this.#next++;
    const sent: Sent[] = [];
    const items: SequenceItem[] = [];
    let total = 0;
    const answers = requests.map((request) => {
      const peer = request.peer as PluginPeer;
      if (peer.sequencer !== this) throw new Error("a sequence may only hold this sandbox process's workers");
      total += request.timeoutMs;
      const prepared = peer.prepare(request.method, request.paramsJson);
      if (!prepared) {
        const gone = Promise.reject(new LodgeError("crashed", `plugin ${peer.pluginId} is not running`));
        gone.catch(() => {}); // its caller awaits it in turn, maybe after this tick
        return gone;
      }
      sent.push({ peer, id: prepared.id, timeoutMs: request.timeoutMs, took: request.took });
      items.push([peer.pluginId, prepared.id, prepared.frame, request.timeoutMs]);
      return prepared.answer;
    });
    if (items.length > 0) {
      // one deadline for the whole sequence: every request waits for those before it anyway
      this.#open.set(seq, { sent, until: performance.now() + total + SAFETY_MS });
      let left = sent.length;
      const done = () => {
        if (--left === 0) this.#open.delete(seq);
      };
      for (const a of answers) a.then(done, done);
      this.#send(seq, items);
    }
    return answers;
  }

  /**
   * Fails the requests of sequences past their deadline (the owner calls it now and then: its heartbeat
   * is the timer, instead of one timer made and cleared per sequence).
   */
  sweep(now: number): void {
    for (const { sent, until } of this.#open.values()) {
      if (until > now) continue;
      for (const s of sent) {
        s.peer.settle(s.id, {
          error: new LodgeError("timeout", `plugin ${s.peer.pluginId} did not answer event in time`),
        });
      }
    }
  }

  /** The sandbox process ended sequence `seq` before item `index`: the rest resolve {@link NOT_SENT}. */
  stopped(seq: number, index: number): void {
    for (const s of this.#open.get(seq)?.sent.slice(index) ?? []) s.peer.settle(s.id, { value: NOT_SENT });
  }

  /** The worker of item `index` of sequence `seq` answered after `ms` (reported before the answer itself). */
  took(seq: number, index: number, ms: number): void {
    if (typeof ms === "number") this.#open.get(seq)?.sent[index]?.took?.(ms);
  }

  /** Item `index` of sequence `seq` was not answered in time. */
  timedOut(seq: number, index: number): void {
    const s = this.#open.get(seq)?.sent[index];
    if (!s) return;
    s.peer.settle(s.id, {
      error: new LodgeError(
        "timeout",
        `plugin ${s.peer.pluginId} did not answer event within its ${s.timeoutMs} ms for this emit`,
      ),
    });
  }
}
