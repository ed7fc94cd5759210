/**
 * SillyTavern's slash command syntax: `/name key=value key="quoted value" the unnamed argument`,
 * commands joined by `|` into a pipe (`\|` is a literal bar), where a command's `{{pipe}}` is the
 * result of the command before it, and a command with no unnamed argument takes that result as its
 * unnamed argument. Closures (`{: ... :}`) and the script language around them are not supported.
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
}

/** A text that is not a slash command pipe. */
export class SlashSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlashSyntaxError";
  }
}

/** Splits on unescaped `|` outside double quotes; `\|` becomes `|`. */
function splitPipe(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && text[i + 1] === "|") {
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
    for (let m = NAMED.exec(rest); m; m = NAMED.exec(rest)) {
      const after = rest.slice(m[0].length);
      if (after.startsWith('"')) {
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
    if (unnamed.startsWith('"')) {
      const read = readQuoted(unnamed);
      if (read && read[1].trim() === "") unnamed = read[0];
    }
    return { name: head[1], named, unnamed };
  });
}
