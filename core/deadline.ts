/**
 * A promise with a deadline, for waits the host must not hold forever (a plugin's load, a worker's
 * answer).
 * @module
 */

/**
 * `promise`, or the error `late()` makes once `ms` passed without it settling (the timer is cleared
 * when it settles).
 *
 * @example
 * ```ts
 * await withDeadline(fetch("http://127.0.0.1:8080/"), 1000, () => new Error("no answer within 1000 ms"));
 * ```
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
