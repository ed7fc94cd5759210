/**
 * Per-plugin limits on what a plugin sends the host: calls in flight, a token-bucket rate of frames, a
 * token-bucket budget of bytes, and strikes (refused frames) that mark a plugin as flooding. Every frame
 * counts, the worker's own notifications (`$/log`, `$/resync`) as much as method calls.
 * @module
 */

/** The limits of one plugin. */
export interface CallLimits {
  /** Most calls (and pending resyncs) of one plugin running in the host at once. */
  inFlight: number;
  /** Sustained frames per second. */
  perSecond: number;
  /** Frames allowed in a burst above the sustained rate. */
  burst: number;
  /** Sustained bytes (UTF-16 units of frame text) per second. */
  bytesPerSecond: number;
  /** Bytes allowed in a burst above the sustained rate; also the largest frame admitted. */
  burstBytes: number;
  /** Refused frames within one second that make the plugin count as flooding. */
  strikes: number;
}

/**
 * 128 in flight, 10,000 frames per second with bursts of 10,000, 64 MiB per second with bursts of
 * 128 MiB, flooding past 1,000 refusals a second.
 */
export const defaultLimits: Readonly<CallLimits> = Object.freeze({
  inFlight: 128,
  perSecond: 10_000,
  burst: 10_000,
  bytesPerSecond: 64 * 1024 * 1024,
  burstBytes: 128 * 1024 * 1024,
  strikes: 1_000,
});

/** Why a frame was refused. */
export type Refusal = "inflight" | "rate" | "bytes";

/** The counters of one plugin. */
export class CallLimiter {
  #limits: CallLimits;
  #tokens: number;
  #bytes: number;
  #refilled: number;
  #running = 0;
  #windowStart = 0;
  #strikes = 0;

  constructor(limits: CallLimits, now: number) {
    this.#limits = limits;
    this.#tokens = limits.burst;
    this.#bytes = limits.burstBytes;
    this.#refilled = now;
  }

  /**
   * Takes a rate token and `size` bytes, and an in-flight slot when `call` (release it with
   * {@link done}); `null` when admitted. A refused frame takes nothing.
   */
  admit(now: number, call: boolean, size = 0): Refusal | null {
    const elapsed = now - this.#refilled;
    const { burst, perSecond, burstBytes, bytesPerSecond, inFlight } = this.#limits;
    this.#tokens = Math.min(burst, this.#tokens + elapsed * perSecond / 1000);
    this.#bytes = Math.min(burstBytes, this.#bytes + elapsed * bytesPerSecond / 1000);
    this.#refilled = now;
    if (call && this.#running >= inFlight) return "inflight";
    if (this.#tokens < 1) return "rate";
    if (this.#bytes < size) return "bytes";
    this.#tokens -= 1;
    this.#bytes -= size;
    if (call) this.#running++;
    return null;
  }

  /** Takes an in-flight slot for work an admitted frame left waiting; false when none is free. */
  hold(): boolean {
    if (this.#running >= this.#limits.inFlight) return false;
    this.#running++;
    return true;
  }

  /** Frees the in-flight slot of an admitted call or a {@link hold}. */
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
