/**
 * Key helpers: `/pattern/flags` keys (with guards against patterns that can hang a scan), plain
 * matching with Unicode-aware whole-word boundaries, content decorators and the entry hash that keys
 * timed effects.
 * @module
 */

/** Longest regex key source accepted. */
export const MAX_REGEX_KEY_LENGTH = 1000;

/** Why a regex key was refused. */
export type RegexRefusal = "too long" | "nested quantifier";

// A group that ends in a quantifier and is itself quantified, `(a+)+`, `(\w*)*`, `(x{2,})+`: the classic
// catastrophic-backtracking shape.
const NESTED_QUANTIFIER = /[+*}]\)[+*{?]/;

/**
 * Parses a `/pattern/flags` key as SillyTavern does: the whole key must be slash-delimited, flags among
 * `gimsuy`, no unescaped `/` inside. Returns `null` when the key is plain text (including invalid
 * regexes, which SillyTavern matches as text), or a refusal when the pattern is too risky to run.
 */
export function parseRegexKey(input: string): RegExp | RegexRefusal | null {
  const match = /^\/([\w\W]+?)\/([gimsuy]*)$/.exec(input);
  if (!match) return null;
  const [, pattern, flags] = match;
  if (/(^|[^\\])\//.test(pattern)) return null;
  if (pattern.length > MAX_REGEX_KEY_LENGTH) return "too long";
  if (NESTED_QUANTIFIER.test(pattern)) return "nested quantifier";
  try {
    // `g` only makes `test` stateful; the result of one test from index 0 is the same without it.
    return new RegExp(pattern, flags.replace("g", ""));
  } catch {
    return null;
  }
}

/** Tests a compiled key regex from the start of `text`. */
export function testRegex(regex: RegExp, text: string): boolean {
  regex.lastIndex = 0;
  return regex.test(text);
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

function asciiWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** True when the code point ending just before `index` is a letter, digit, mark or underscore. */
export function isWordBefore(text: string, index: number): boolean {
  if (index <= 0) return false;
  const c = text.charCodeAt(index - 1);
  if (c < 128) return asciiWord(c);
  const start = c >= 0xdc00 && c <= 0xdfff && index > 1 ? index - 2 : index - 1;
  return WORD_CHAR.test(text.slice(start, index));
}

/** True when the code point starting at `index` is a letter, digit, mark or underscore. */
export function isWordAt(text: string, index: number): boolean {
  if (index >= text.length) return false;
  const c = text.charCodeAt(index);
  if (c < 128) return asciiWord(c);
  return WORD_CHAR.test(text.slice(index, c >= 0xd800 && c <= 0xdbff ? index + 2 : index + 1));
}

/**
 * Plain key matching: substring, or with `wholeWord` an occurrence not touching a word character on
 * either side. A key with whitespace inside is matched as a substring, as SillyTavern does.
 */
export function matchPlain(haystack: string, needle: string, wholeWord: boolean): boolean {
  if (!wholeWord || /\s/.test(needle)) return haystack.includes(needle);
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (!isWordBefore(haystack, at) && !isWordAt(haystack, at + needle.length)) return true;
  }
  return false;
}

const KNOWN_DECORATORS = ["@@activate", "@@dont_activate"];

/**
 * Splits leading decorator lines off an entry's content. Lines starting with `@@` at the top are
 * decorators; a known one is kept, `@@@name` is an escape kept only as a fallback after an unknown
 * decorator. Returns the decorators and the remaining content.
 */
export function parseDecorators(content: string): [string[], string] {
  if (!content.startsWith("@@")) return [[], content];
  const lines = content.split("\n");
  const decorators: string[] = [];
  let fallback = false;
  let rest = content;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith("@@")) {
      rest = lines.slice(i).join("\n");
      break;
    }
    if (line.startsWith("@@@") && !fallback) continue;
    const name = line.startsWith("@@@") ? line.slice(1) : line;
    if (KNOWN_DECORATORS.some((d) => name.startsWith(d))) {
      decorators.push(name);
      fallback = false;
    } else {
      fallback = true;
    }
  }
  return [decorators, rest];
}

/**
 * The 53-bit string hash (cyrb53) SillyTavern uses for entry hashes, so timed effects stored by
 * SillyTavern still find their entries.
 */
export function cyrb53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const LEGACY_MACRO = /<(?:user|bot|char|charifnotgroup|group)>/i;

/** True when a key holds macros, so it must be expanded for each scan. */
export function hasMacros(key: string): boolean {
  return key.includes("{{") || LEGACY_MACRO.test(key);
}
