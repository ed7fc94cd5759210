/**
 * Captures a plugin's console output: each `console.*` line becomes a `$/log` notification the host keeps
 * per plugin (`plugins.logs`). Raw writes to the process's stdout are not plugin logs and are not kept
 * per plugin.
 * @module
 */

/** Log levels the host keeps. */
export type Level = "log" | "info" | "warn" | "error" | "debug";

/** Longest kept line. */
const MAX_TEXT = 8192;

/** Formats console arguments as the console would, without colours. */
export function formatArgs(args: unknown[]): string {
  const text = args.map((arg) =>
    typeof arg === "string" ? arg : Deno.inspect(arg, { colors: false, depth: 4 })
  )
    .join(" ");
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** Replaces the console's printing methods with ones that send each line to `send`. */
export function captureConsole(send: (level: Level, text: string) => void): void {
  const levels: Record<string, Level> = {
    log: "log",
    info: "info",
    warn: "warn",
    error: "error",
    debug: "debug",
    trace: "debug",
    dir: "log",
    table: "log",
  };
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      send(level, formatArgs(args));
  }
}
