/**
 * The host's prompt runtime state: extension prompts set with `setExtensionPrompt` (kept in memory, as
 * SillyTavern keeps them, until changed or the host stops) and the macros plugins registered (a string,
 * or a function that runs in the registering plugin's worker). Observers hear every change at once, so
 * the context mirrors carry the same state.
 * @module
 */

import { checkMacroName } from "../macros/mod.ts";
import { extensionPrompt } from "./injections.ts";
import type { ExtensionPrompt } from "./types.ts";

/** A macro a plugin registered on the host. */
export interface HostMacro {
  /** Who registered it (a plugin id, or `client:<connection>`). */
  owner: string;
  /** The text of a string macro, or the call into the owner's worker for a function macro. */
  value: string | (() => Promise<unknown>);
}

/** Extension prompts and registered macros. */
export class PromptState {
  #prompts = new Map<string, ExtensionPrompt>();
  #macros = new Map<string, HostMacro>();
  #observers = new Set<() => void>();

  /** Calls `fn` synchronously after every change. */
  onChange(fn: () => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  /**
   * Sets (or replaces) an extension prompt; an empty value keeps the key with nothing to put in, as
   * SillyTavern does.
   * @example
   * state.setExtensionPrompt("memory", "Ann lost her key.", 1, 2, true, 0);
   */
  setExtensionPrompt(
    key: string,
    value: unknown,
    position: unknown,
    depth: unknown,
    scan?: unknown,
    role?: unknown,
  ): ExtensionPrompt {
    const prompt = extensionPrompt(value, position, depth, scan, role);
    this.#prompts.set(key, prompt);
    this.#changed();
    return prompt;
  }

  /** Every extension prompt by key. */
  extensionPrompts(): Record<string, ExtensionPrompt> {
    return Object.fromEntries(this.#prompts);
  }

  /** Registers a macro for an owner (replacing one of the same name). */
  registerMacro(name: string, macro: HostMacro): void {
    this.#macros.set(checkMacroName(name), macro);
    this.#changed();
  }

  /** Removes a macro (an owner removes only its own); returns whether one went. */
  unregisterMacro(name: string, owner?: string): boolean {
    const key = checkMacroName(name);
    const found = this.#macros.get(key);
    if (!found || (owner !== undefined && found.owner !== owner)) return false;
    this.#macros.delete(key);
    this.#changed();
    return true;
  }

  /** Removes every macro of an owner (its connection closed). */
  dropOwner(owner: string): void {
    let dropped = false;
    for (const [name, macro] of this.#macros) {
      if (macro.owner === owner) dropped = this.#macros.delete(name);
    }
    if (dropped) this.#changed();
  }

  /** The registered macros. */
  macros(): ReadonlyMap<string, HostMacro> {
    return this.#macros;
  }

  /** The mirror's view of the macros: a string macro's text, `null` for a function macro. */
  macroView(): Record<string, string | null> {
    return Object.fromEntries(
      [...this.#macros].map(([k, m]) => [k, typeof m.value === "string" ? m.value : null]),
    );
  }

  #changed(): void {
    for (const fn of this.#observers) {
      try {
        fn();
      } catch (error) {
        console.error("prompt state observer failed:", error);
      }
    }
  }
}
