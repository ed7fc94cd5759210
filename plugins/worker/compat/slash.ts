/**
 * SillyTavern's slash-command modules over the worker's slash registry (`../slash.ts`):
 * `SlashCommandParser.addCommandObject(SlashCommand.fromProps({ name, callback, ... }))` and the older
 * `registerSlashCommand(name, callback, aliases, helpString)` register a command the host's pipes and
 * the UI's command list offer. Argument declarations are kept on the command object (Lodge passes
 * named arguments as strings and the unnamed one as text, as SillyTavern does for untyped arguments).
 * @module
 */

// deno-lint-ignore no-explicit-any
type Ctx = Record<string, any>;

/** SillyTavern's argument types. */
const ARGUMENT_TYPE = Object.freeze({
  STRING: "string",
  NUMBER: "number",
  RANGE: "range",
  BOOLEAN: "bool",
  VARIABLE_NAME: "varname",
  CLOSURE: "closure",
  SUBCOMMAND: "subcommand",
  LIST: "list",
  DICTIONARY: "dictionary",
});

/** Kinds of enum values (for autocomplete in SillyTavern; kept for the extension's sake). */
const enumTypes = Object.freeze({
  enum: "enum",
  command: "command",
  namedArgument: "namedArgument",
  variable: "variable",
  qr: "qr",
  macro: "macro",
  number: "number",
  name: "name",
});

/** Assigns `props` over a new instance: SillyTavern's `fromProps`. */
function fromProps<T extends object>(make: () => T, props: unknown): T {
  return Object.assign(make(), typeof props === "object" && props !== null ? props : {});
}

/** An unnamed argument's declaration. */
class SlashCommandArgument {
  description = "";
  typeList: string[] = [ARGUMENT_TYPE.STRING];
  isRequired = false;
  acceptsMultiple = false;
  defaultValue: unknown = null;
  enumList: unknown[] = [];

  constructor(description?: string, types?: string | string[], isRequired = false, acceptsMultiple = false) {
    if (description !== undefined) this.description = description;
    if (types !== undefined) this.typeList = Array.isArray(types) ? types : [types];
    this.isRequired = isRequired;
    this.acceptsMultiple = acceptsMultiple;
  }

  /** A declaration from its properties. */
  static fromProps(props: unknown): SlashCommandArgument {
    return fromProps(() => new SlashCommandArgument(), props);
  }
}

/** A named argument's declaration. */
class SlashCommandNamedArgument extends SlashCommandArgument {
  name = "";
  aliasList: string[] = [];

  /** A declaration from its properties. */
  static override fromProps(props: unknown): SlashCommandNamedArgument {
    return fromProps(() => new SlashCommandNamedArgument(), props);
  }
}

/** One value of an argument's enum list. */
class SlashCommandEnumValue {
  constructor(
    public value: string,
    public description: string | null = null,
    public type: string = enumTypes.enum,
    public typeIcon = "◊",
  ) {}
}

/** A command as SillyTavern builds it. */
class SlashCommand {
  name = "";
  callback: ((named: Record<string, string>, unnamed: string) => unknown) | null = null;
  helpString = "";
  returns: string | null = null;
  aliases: string[] = [];
  namedArgumentList: SlashCommandNamedArgument[] = [];
  unnamedArgumentList: SlashCommandArgument[] = [];

  /** A command from its properties (`name`, `callback`, `aliases`, `helpString`, `returns`, ...). */
  static fromProps(props: unknown): SlashCommand {
    return fromProps(() => new SlashCommand(), props);
  }
}

/** The slash-command modules, by path, plus a promise of every registration sent so far. */
export function createSlashCommandModules(ctx: Ctx) {
  const pending = new Set<Promise<unknown>>();
  const commands: Record<string, SlashCommand> = {};
  const register = (command: SlashCommand) => {
    if (typeof command?.name !== "string" || typeof command.callback !== "function") {
      throw new TypeError("a slash command needs a name and a callback");
    }
    commands[command.name] = command;
    const sent = Promise.resolve(ctx.registerSlashCommand({
      name: command.name,
      callback: command.callback,
      aliases: Array.isArray(command.aliases) ? command.aliases.map(String) : undefined,
      helpString: typeof command.helpString === "string" ? command.helpString : undefined,
      returns: typeof command.returns === "string" ? command.returns : undefined,
    })).catch((error) => console.error(`slash command /${command.name} was not registered:`, error));
    pending.add(sent);
    sent.finally(() => pending.delete(sent));
  };
  const SlashCommandParser = Object.freeze({
    commands,
    /** Registers a command built with `SlashCommand.fromProps`. */
    addCommandObject: (command: SlashCommand) => register(command),
    /** The older form: name, callback, aliases, help text. */
    addCommand: (name: string, callback: SlashCommand["callback"], aliases?: string[], helpString?: string) =>
      register(
        SlashCommand.fromProps({ name, callback, aliases: aliases ?? [], helpString: helpString ?? "" }),
      ),
  });
  return {
    settled: () => Promise.all(pending).then(() => {}),
    modules: {
      "scripts/slash-commands.js": { registerSlashCommand: SlashCommandParser.addCommand },
      "scripts/slash-commands/SlashCommandParser.js": { SlashCommandParser },
      "scripts/slash-commands/SlashCommand.js": { SlashCommand },
      "scripts/slash-commands/SlashCommandArgument.js": {
        SlashCommandArgument,
        SlashCommandNamedArgument,
        ARGUMENT_TYPE,
      },
      "scripts/slash-commands/SlashCommandEnumValue.js": { SlashCommandEnumValue, enumTypes },
    },
  };
}
