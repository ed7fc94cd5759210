/**
 * Request pacing for LLM endpoints: a requests-per-minute limiter, retry backoff that honours
 * `Retry-After`, and an abortable sleep.
 * @module
 */

/** How often and how patiently a failed request is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  retries: number;
  /** First backoff delay; doubles on each retry. */
  baseDelayMs: number;
  /** Longest wait accepted, whether computed or asked for by `Retry-After`. */
  maxDelayMs: number;
}

/** Retry policy used when a connection sets none. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds; `null` when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The wait before retry number `attempt` (0-based): the server's `Retry-After` when given, else
 * exponential backoff. `null` means the server asked for longer than the policy accepts.
 */
export function retryDelay(attempt: number, retryAfterMs: number | null, policy: RetryPolicy): number | null {
  if (retryAfterMs !== null) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : null;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/** A sliding-window limiter: at most `perMinute` starts in any window (default one minute). */
export class RateLimiter {
  #starts: number[] = [];
  #perWindow: number;
  #windowMs: number;
  #queue: Promise<void> = Promise.resolve();

  /**
   * @param perMinute starts allowed per window; 0 or less means unlimited
   * @param windowMs window length, one minute unless a test shortens it
   */
  constructor(perMinute: number, windowMs = 60_000) {
    this.#perWindow = perMinute;
    this.#windowMs = windowMs;
  }

  /** The allowed starts per window. */
  get perMinute(): number {
    return this.#perWindow;
  }

  /** Changes the allowed starts per window (a connection's setting changed). */
  set perMinute(value: number) {
    this.#perWindow = value;
  }

  /** Waits until a start is allowed and records it. Callers are served in arrival order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#wait(signal));
    // a caller that gave up (abort) must not block the ones behind it
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async #wait(signal?: AbortSignal): Promise<void> {
    while (this.#perWindow > 0) {
      const now = Date.now();
      this.#starts = this.#starts.filter((t) => t > now - this.#windowMs);
      if (this.#starts.length < this.#perWindow) break;
      await sleep(this.#starts[0] + this.#windowMs - now, signal);
    }
    signal?.throwIfAborted();
    this.#starts.push(Date.now());
  }
}
