/**
 * SillyTavern's slash command syntax: `/name key=value key="quoted value" the unnamed argument`,
 * commands joined by `|` into a pipe (`\|` is a literal bar), where a command's `{{pipe}}` is the
 * result of the command before it, and a command with no unnamed argument takes that result as its
 * unnamed argument. A closure `{: /command ... | /command ... :}` is an argument holding a pipe of its
 * own, run later by the command that takes it (`/if`, `/times`, `/while`, `/run`); its body is kept as
 * typed (bars, quotes and macros inside it belong to it). The rest of SillyTavern's script language
 * (closure parameters, `/let` scopes, `/break`) is not supported.
 * @module
 */

/** One parsed command of a pipe. */
export interface SlashCall {
  /** The command name as typed, without the slash. */
  name: string;
  /** Named arguments in typed order; a later one of the same name wins. */
  named: Record<string, string>;
  /** The unnamed argument (quotes around the whole of it removed). */
  unnamed: string;
  /**
   * The arguments that are closures, by name (`""` for a closure that ends the unnamed argument): the
   * closure's body. Their values in `named` / `unnamed` are the closure as typed, `{: ... :}`. Absent
   * when there is none.
   */
  closures?: Record<string, string>;
  /** When a closure ends the unnamed argument: the text before it, as typed. */
  lead?: string;
}

/** A text that is not a slash command pipe. */
export class SlashSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlashSyntaxError";
  }
}

/** Opens and closes a closure. */
const OPEN = "{:";
const CLOSE = ":}";

/**
 * The index just past the `:}` closing the closure that opens at `text[start]`, or -1. Nested closures
 * count; a macro `{{...}}` inside is skipped whole (its `::` may touch a `}`).
 */
function closureEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text.startsWith("{{", i)) {
      const end = text.indexOf("}}", i + 2);
      if (end === -1) return -1;
      i = end + 1;
    } else if (text.startsWith(OPEN, i)) {
      depth++;
      i++;
    } else if (text.startsWith(CLOSE, i)) {
      if (--depth === 0) return i + 2;
      i++;
    }
  }
  return -1;
}

/** Splits on unescaped `|` outside double quotes and closures; `\|` becomes `|` (closures stay as typed). */
function splitPipe(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (!quoted && text.startsWith(OPEN, i)) {
      const end = closureEnd(text, i);
      if (end === -1) throw new SlashSyntaxError("a closure {: is not closed with :}");
      current += text.slice(i, end);
      i = end - 1;
    } else if (ch === "\\" && text[i + 1] === "|") {
      current += "|";
      i++;
    } else if (ch === "\\" && text[i + 1] === '"') {
      current += '\\"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === "|" && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

const NAMED = /^([A-Za-z_][\w-]*)=/;

/** Reads a quoted value starting at `text[0] === '"'`; returns the value and the rest. */
function readQuoted(text: string): [string, string] | null {
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
      value += text[++i];
    } else if (ch === '"') return [value, text.slice(i + 1)];
    else value += ch;
  }
  return null;
}

/**
 * Parses a pipe of slash commands.
 *
 * @example
 * ```ts
 * parseSlash('/sendas name="Ann Lee" Hello | /echo {{pipe}}');
 * // [{ name: "sendas", named: { name: "Ann Lee" }, unnamed: "Hello" },
 * //  { name: "echo", named: {}, unnamed: "{{pipe}}" }]
 * ```
 */
export function parseSlash(text: string): SlashCall[] {
  if (typeof text !== "string" || !text.trimStart().startsWith("/")) {
    throw new SlashSyntaxError("a slash command starts with '/'");
  }
  return splitPipe(text).map((segment) => {
    const trimmed = segment.trim();
    const head = /^\/([^\s|"=]+)/.exec(trimmed);
    if (!head) throw new SlashSyntaxError(`expected a command like /name, got "${trimmed.slice(0, 40)}"`);
    let rest = trimmed.slice(head[0].length).trimStart();
    const named: Record<string, string> = {};
    const closures: Record<string, string> = {};
    for (let m = NAMED.exec(rest); m; m = NAMED.exec(rest)) {
      const after = rest.slice(m[0].length);
      if (after.startsWith(OPEN)) {
        const end = closureEnd(after, 0); // found whole by splitPipe
        named[m[1]] = after.slice(0, end);
        closures[m[1]] = body(after.slice(0, end));
        rest = after.slice(end).trimStart();
      } else if (after.startsWith('"')) {
        const read = readQuoted(after);
        if (!read) throw new SlashSyntaxError(`unclosed quote in the argument ${m[1]} of /${head[1]}`);
        named[m[1]] = read[0];
        rest = read[1].trimStart();
      } else {
        const end = after.search(/\s/);
        named[m[1]] = end === -1 ? after : after.slice(0, end);
        rest = end === -1 ? "" : after.slice(end).trimStart();
      }
    }
    let unnamed = rest.trim();
    let lead: string | undefined;
    if (unnamed.startsWith('"')) {
      const read = readQuoted(unnamed);
      if (read && read[1].trim() === "") unnamed = read[0];
    } else if (unnamed.endsWith(CLOSE)) {
      // a closure ending the unnamed argument (`/times 3 {: ... :}`)
      for (let at = unnamed.indexOf(OPEN); at !== -1;) {
        const end = closureEnd(unnamed, at);
        if (end === -1) break;
        if (end === unnamed.length) {
          closures[""] = body(unnamed.slice(at));
          lead = unnamed.slice(0, at);
        }
        at = unnamed.indexOf(OPEN, end);
      }
    }
    const call: SlashCall = { name: head[1], named, unnamed };
    if (Object.keys(closures).length > 0) call.closures = closures;
    if (lead !== undefined) call.lead = lead;
    return call;
  });
}

/** The body of a closure as typed, `{: body :}`. */
function body(closure: string): string {
  return closure.slice(OPEN.length, -CLOSE.length).trim();
}

/**
 * The body of a closure given as text (`{: ... :}`, as a closure stored in a variable), or null when the
 * text is not one closure.
 *
 * @example
 * ```ts
 * closureBody("{: /echo hi :}"); // "/echo hi"
 * closureBody("hi"); // null
 * ```
 */
export function closureBody(text: string): string | null {
  const trimmed = text.trim();
  return trimmed.startsWith(OPEN) && closureEnd(trimmed, 0) === trimmed.length ? body(trimmed) : null;
}
