/**
 * The slash command registry: the built-ins and what plugins add (`registerSlashCommand`), looked up by
 * name or alias, case-insensitively, as SillyTavern does.
 * @module
 */

import { conflict, invalid } from "../errors.ts";

/** Side outputs of one run besides the pipe (what the UI shows or does). */
export interface SlashOutputs {
  /** Texts `/echo` showed, in order. */
  echoes: string[];
  /** The text `/setinput` put into the input, if any. */
  setInput?: string;
}

/** What a command's callback receives. */
export interface SlashInvocation {
  /** Named arguments, macros expanded. */
  named: Record<string, string>;
  /** The unnamed argument, macros expanded (the previous result when none was typed). */
  unnamed: string;
  /** Side outputs of this run. */
  outputs: SlashOutputs;
  /**
   * For a command that takes closures (`takesClosures`): the bodies of its closure arguments by name
   * (`""` for the one ending the unnamed argument, whose text before it is then `unnamed`). Empty for
   * the others, which get closures as typed text.
   */
  closures: Record<string, string>;
  /**
   * Runs a closure's body (a pipe) within this run's limits and resolves with its result; its `{{pipe}}`
   * starts as `pipe` (default: the result before this command), `macros` are added to those it sees
   * (`{{timesIndex}}`). Rejects when a command of it fails.
   */
  run(body: string, options?: { pipe?: string; macros?: Record<string, string> }): Promise<string>;
}

/** A slash command. */
export interface SlashCommand {
  /** The name, without the slash. */
  name: string;
  /** Other names. */
  aliases?: string[];
  /** One or two lines for `/help` and the input's completion. */
  helpString?: string;
  /** What the command passes down the pipe. */
  returns?: string;
  /** The plugin (or connection) that registered it; absent for built-ins. */
  owner?: string;
  /** Whether it runs closures (see {@link SlashInvocation.closures}); built-ins only. */
  takesClosures?: boolean;
  /** Runs the command; its result is the pipe's next value (nothing = ""). */
  callback(invocation: SlashInvocation): unknown;
}

/** A command as listed for help and completion. */
export interface SlashCommandInfo {
  name: string;
  aliases: string[];
  helpString: string;
  returns: string;
  owner: string | null;
}

const NAME = /^[A-Za-z0-9_][\w-]{0,63}$/;

/**
 * Commands by name and alias.
 *
 * @example
 * ```ts
 * const registry = new SlashRegistry();
 * registry.register({ name: "hello", helpString: "Says hi.", callback: () => "hi" });
 * registry.get("HELLO")?.name; // "hello"
 * ```
 */
export class SlashRegistry {
  #commands = new Map<string, SlashCommand>();
  #byName = new Map<string, SlashCommand>();

  /**
   * Adds a command, replacing one of the same name (SillyTavern lets a later registration win, with a
   * warning). A plugin may not replace a built-in or another plugin's command.
   */
  register(command: SlashCommand): void {
    const names = [command.name, ...(command.aliases ?? [])];
    for (const name of names) {
      if (!NAME.test(name)) throw invalid(`"${name}" is not a command name (letters, digits, _ and -)`);
    }
    const existing = this.#commands.get(command.name.toLowerCase());
    if (existing && command.owner !== undefined && existing.owner !== command.owner) {
      throw conflict(`/${command.name} belongs to ${existing.owner ?? "Lodge"}`);
    }
    if (existing) {
      console.warn(`slash command /${command.name} is registered again; the new one replaces it`);
      this.#remove(existing);
    }
    this.#commands.set(command.name.toLowerCase(), command);
    for (const name of names) {
      const taken = this.#byName.get(name.toLowerCase());
      if (!taken || taken.owner === command.owner) this.#byName.set(name.toLowerCase(), command);
    }
  }

  /** Removes a command by name; with `owner`, only if that owner registered it. */
  unregister(name: string, owner?: string): boolean {
    const command = this.#commands.get(name.toLowerCase());
    if (!command || (owner !== undefined && command.owner !== owner)) return false;
    this.#remove(command);
    return true;
  }

  /** Removes every command an owner registered. */
  removeOwner(owner: string): void {
    for (const command of [...this.#commands.values()]) if (command.owner === owner) this.#remove(command);
  }

  /** The command with this name or alias. */
  get(name: string): SlashCommand | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** Every command, sorted by name. */
  list(): SlashCommandInfo[] {
    return [...this.#commands.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => ({
      name: c.name,
      aliases: c.aliases ?? [],
      helpString: c.helpString ?? "",
      returns: c.returns ?? "",
      owner: c.owner ?? null,
    }));
  }

  #remove(command: SlashCommand): void {
    this.#commands.delete(command.name.toLowerCase());
    for (const [name, c] of this.#byName) if (c === command) this.#byName.delete(name);
  }
}
