/**
 * Per-plugin call limits: calls in flight, a token-bucket rate, and strikes (refused calls) that mark a
 * plugin as flooding.
 * @module
 */

/** The limits of one plugin. */
export interface CallLimits {
  /** Most calls of one plugin running in the host at once. */
  inFlight: number;
  /** Sustained calls per second. */
  perSecond: number;
  /** Calls allowed in a burst above the sustained rate. */
  burst: number;
  /** Refused calls within one second that make the plugin count as flooding. */
  strikes: number;
}

/** 128 in flight, 10,000 per second with bursts of 10,000, flooding past 1,000 refusals a second. */
export const defaultLimits: Readonly<CallLimits> = Object.freeze({
  inFlight: 128,
  perSecond: 10_000,
  burst: 10_000,
  strikes: 1_000,
});

/** Why a call was refused. */
export type Refusal = "inflight" | "rate";

/** The counters of one plugin. */
export class CallLimiter {
  #limits: CallLimits;
  #tokens: number;
  #refilled: number;
  #running = 0;
  #windowStart = 0;
  #strikes = 0;

  constructor(limits: CallLimits, now: number) {
    this.#limits = limits;
    this.#tokens = limits.burst;
    this.#refilled = now;
  }

  /** Takes a rate token (and an in-flight slot when `call`); `null` when admitted. */
  admit(now: number, call: boolean): Refusal | null {
    this.#tokens = Math.min(
      this.#limits.burst,
      this.#tokens + (now - this.#refilled) * this.#limits.perSecond / 1000,
    );
    this.#refilled = now;
    if (call && this.#running >= this.#limits.inFlight) return "inflight";
    if (this.#tokens < 1) return "rate";
    this.#tokens -= 1;
    if (call) this.#running++;
    return null;
  }

  /** Frees the in-flight slot of an admitted call. */
  done(): void {
    this.#running--;
  }

  /** Counts one refusal; true once refusals within the current second pass the strike limit. */
  strike(now: number): boolean {
    if (now - this.#windowStart > 1000) {
      this.#windowStart = now;
      this.#strikes = 0;
    }
    return ++this.#strikes > this.#limits.strikes;
  }
}
