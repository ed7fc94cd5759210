/**
 * Per-case timing for bench suites. `deno bench --json` reports avg, p75 and p99 but no median, so
 * cases wrapped here also time themselves; at exit a suite prints one JSON line per case to stderr
 * (stdout stays the `--json` document).
 * @module
 */

/** Iteration times of a suite's cases, in ms. */
export class Samples {
  #cases = new Map<string, number[]>();

  /** Wraps a sync bench function so every call is timed. */
  timed(name: string, fn: () => void): () => void {
    const list = this.#track(name);
    return () => {
      const start = performance.now();
      fn();
      list.push(performance.now() - start);
    };
  }

  /**
   * Wraps an async bench function the same way. It stays an `async` function: `Deno.bench` decides
   * whether to await a case by the function's kind, not by what it returns.
   */
  timedAsync(name: string, fn: () => Promise<void>): () => Promise<void> {
    const list = this.#track(name);
    return async () => {
      const start = performance.now();
      await fn();
      list.push(performance.now() - start);
    };
  }

  /** Adds one sample (ms) to a case the suite times itself. */
  record(name: string, ms: number): void {
    (this.#cases.get(name) ?? this.#track(name)).push(ms);
  }

  /** The q-quantile (0.5 = median) of a case, in ms; NaN without samples. */
  quantile(name: string, q: number): number {
    const sorted = [...(this.#cases.get(name) ?? [])].sort((a, b) => a - b);
    if (sorted.length === 0) return NaN;
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  /** One JSON line per case: median and p99 in µs, calls per second from the median, sample count. */
  lines(): string[] {
    return [...this.#cases.keys()].map((name) => {
      const median = this.quantile(name, 0.5);
      return JSON.stringify({
        name,
        median_us: Math.round(median * 1000),
        p99_us: Math.round(this.quantile(name, 0.99) * 1000),
        per_second: Math.round(1000 / median),
        samples: this.#cases.get(name)!.length,
      });
    });
  }

  #track(name: string): number[] {
    const list: number[] = [];
    this.#cases.set(name, list);
    return list;
  }
}
