/**
 * SillyTavern's display timestamps, the form its file names and `create_date` fields carry.
 * @module
 */

/**
 * A date as SillyTavern 1.12.6 writes it into chat file names (`2024-5-1 @09h 05m 03s 42ms`, local
 * time; month and day without padding, milliseconds padded to two digits as SillyTavern pads them).
 *
 * @example
 * ```ts
 * humanizedDate(new Date(2024, 4, 1, 9, 5, 3, 42)); // "2024-5-1 @09h 05m 03s 42ms"
 * ```
 */
export function humanizedDate(date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()} @${two(date.getHours())}h ` +
    `${two(date.getMinutes())}m ${two(date.getSeconds())}s ${two(date.getMilliseconds())}ms`;
}
