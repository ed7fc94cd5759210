/**
 * Chat and global variables as the variable macros read and write them (SillyTavern's `variables.js`):
 * chat ("local") variables live in the chat's metadata under `variables`, global ones in the settings
 * under `extension_settings.variables.global`. Values are kept as written (strings, or numbers after
 * `{{addvar}}`); a read turns a numeric string into a number.
 * @module
 */

/** Where a variable lives. */
export type VariableScope = "local" | "global";

/** Reads and writes variables for one evaluation. */
export interface VariableStore {
  get(scope: VariableScope, name: string): unknown;
  set(scope: VariableScope, name: string, value: unknown): void;
}

/**
 * A {@link VariableStore} over copies of the two variable objects that records every write, so the
 * caller persists them after the evaluation (the host into the chat and settings, a worker through the
 * host).
 */
export class RecordingVariables implements VariableStore {
  readonly #values: Record<VariableScope, Record<string, unknown>>;
  /** The variables written, by scope (only those; in write order). */
  readonly changes: Record<VariableScope, Record<string, unknown>> = { local: {}, global: {} };

  constructor(local: Record<string, unknown> = {}, global: Record<string, unknown> = {}) {
    this.#values = { local: { ...local }, global: { ...global } };
  }

  get(scope: VariableScope, name: string): unknown {
    return Object.hasOwn(this.#values[scope], name) ? this.#values[scope][name] : undefined;
  }

  set(scope: VariableScope, name: string, value: unknown): void {
    this.#values[scope][name] = value;
    this.changes[scope][name] = value;
  }

  /** Whether anything was written. */
  get changed(): boolean {
    return Object.keys(this.changes.local).length > 0 || Object.keys(this.changes.global).length > 0;
  }
}

/** A variable's value as `{{getvar}}` reads it: numeric text becomes a number, absent becomes "". */
export function readVariable(store: VariableStore, scope: VariableScope, name: string): string | number {
  const value = store.get(scope, name);
  if (typeof value === "number") return value;
  const text = value === undefined || value === null
    ? ""
    : typeof value === "string"
    ? value
    : JSON.stringify(value);
  return text.trim() === "" || Number.isNaN(Number(text)) ? text : Number(text);
}

/**
 * `{{addvar}}`: appends to a JSON array, adds to a number, else concatenates text. Returns the new value
 * ("" when a sum is not a number).
 */
export function addToVariable(
  store: VariableStore,
  scope: VariableScope,
  name: string,
  value: string | number,
): string | number {
  const current = readVariable(store, scope, name) || 0;
  if (typeof current === "string") {
    try {
      const parsed = JSON.parse(current);
      if (Array.isArray(parsed)) {
        parsed.push(value);
        store.set(scope, name, JSON.stringify(parsed));
        return JSON.stringify(parsed);
      }
    } catch { /* not JSON: text or number below */ }
  }
  const increment = Number(value);
  if (Number.isNaN(increment) || Number.isNaN(Number(current))) {
    const text = String(current || "") + value;
    store.set(scope, name, text);
    return text;
  }
  const sum = Number(current) + increment;
  if (Number.isNaN(sum)) return "";
  store.set(scope, name, sum);
  return sum;
}

/** Runs the variable macros of one text, line by line as SillyTavern does (a macro never spans lines). */
export function replaceVariableMacros(text: string, store: VariableStore): string {
  if (!text.includes("{{")) return text;
  return text.split("\n").map((line) => line.includes("{{") ? replaceInLine(line, store) : line).join("\n");
}

/** The variable macros of one scope, compiled once. */
function scopePatterns(infix: string) {
  return {
    get: new RegExp(`{{get${infix}::([^}]+)}}`, "gi"),
    set: new RegExp(`{{set${infix}::([^:]+)::([^}]+)}}`, "gi"),
    add: new RegExp(`{{add${infix}::([^:]+)::([^}]+)}}`, "gi"),
    inc: new RegExp(`{{inc${infix}::([^}]+)}}`, "gi"),
    dec: new RegExp(`{{dec${infix}::([^}]+)}}`, "gi"),
  };
}
const PATTERNS = [["local", scopePatterns("var")], ["global", scopePatterns("globalvar")]] as const;

function replaceInLine(line: string, store: VariableStore): string {
  for (const [scope, p] of PATTERNS) {
    line = line
      .replace(p.get, (_, n: string) => String(readVariable(store, scope, n.trim())))
      .replace(p.set, (_, n: string, v: string) => {
        store.set(scope, n.trim(), v);
        return "";
      })
      .replace(p.add, (_, n: string, v: string) => {
        addToVariable(store, scope, n.trim(), v);
        return "";
      })
      .replace(p.inc, (_, n: string) => String(addToVariable(store, scope, n.trim(), 1)))
      .replace(p.dec, (_, n: string) => String(addToVariable(store, scope, n.trim(), -1)));
  }
  return line;
}
