/**
 * Macros registered at run time (SillyTavern's `MacrosParser.registerMacro`): a name and a value, either a
 * string or a function called with the evaluation's nonce. One registry per evaluation side: the host
 * keeps the macros plugins registered (their functions run in the plugin's worker, see `core/prompt`), a
 * worker keeps its own plugin's local ones.
 * @module
 */

/** A macro's value: a string, or a function of the evaluation's nonce returning what to put in. */
export type MacroValue = string | ((nonce: string) => unknown);

/** Registered macros by name (names are matched ignoring case at evaluation). */
export class MacroRegistry {
  #macros = new Map<string, MacroValue>();

  /**
   * Registers (or replaces) a macro. The name is trimmed; it may not be empty or carry the braces.
   * @example
   * registry.register("weather", () => "sunny");
   * evaluateMacros("It is {{weather}}.", { macros: registry }); // "It is sunny."
   */
  register(name: string, value: MacroValue | unknown): void {
    const key = checkMacroName(name);
    this.#macros.set(key, typeof value === "function" ? value as MacroValue : sanitizeMacroValue(value));
  }

  /** Removes a macro; returns whether it was registered. */
  unregister(name: string): boolean {
    return this.#macros.delete(checkMacroName(name));
  }

  /** Whether a macro of this exact name is registered. */
  has(name: string): boolean {
    return this.#macros.has(name);
  }

  /** The registered names and values, in registration order. */
  [Symbol.iterator](): IterableIterator<[string, MacroValue]> {
    return this.#macros.entries();
  }

  /** The registered names. */
  names(): string[] {
    return [...this.#macros.keys()];
  }
}

/** A macro name as registration accepts it (trimmed, not empty, no surrounding braces). */
export function checkMacroName(name: unknown): string {
  if (typeof name !== "string") throw new TypeError("a macro name must be a string");
  const key = name.trim();
  if (!key) throw new TypeError("a macro name must not be empty");
  if (key.startsWith("{{") || key.endsWith("}}")) throw new TypeError("a macro name has no braces");
  if (key.length > 200) throw new TypeError("a macro name is at most 200 characters");
  return key;
}

/** What a macro's value becomes in text, as SillyTavern sanitizes it. */
export function sanitizeMacroValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (value instanceof Promise || typeof value === "function") return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
