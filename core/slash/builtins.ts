/**
 * The built-in slash commands, SillyTavern's common set: messages (`/send`, `/sendas`, `/sys`, `/del`,
 * `/cut`), generation (`/gen`, `/genraw`, `/trigger`, `/continue`, `/swipe`, `/regenerate`), chat
 * variables (`/setvar`, `/getvar`, `/addvar`, `/flushvar`), closures (`/if`, `/times`, `/while`, `/run`)
 * and the input (`/echo`, `/setinput`, `/help`).
 * Each goes through the same core services as every other door.
 * @module
 */

import type { ChatContext } from "../context.ts";
import { invalid } from "../errors.ts";
import { type GenerationService, groupMembers } from "../generation/mod.ts";
import { addToVariable, readVariable, RecordingVariables } from "../macros/mod.ts";
import { chatVariables } from "../prompt/mod.ts";
import type { PromptService } from "../prompt/service.ts";
import { regexPlacement, type RegexService } from "../regex/mod.ts";
import type { ChatMessage } from "../store.ts";
import { closureBody } from "./parser.ts";
import type { SlashCommand, SlashRegistry } from "./registry.ts";

/** The services the built-ins use. */
export interface SlashServices {
  context: ChatContext;
  generation: GenerationService;
  prompt: PromptService;
  regex: RegexService;
}

const manual = { api: "manual", model: "slash command" };

/** Most iterations of one `/times` or `/while` (SillyTavern's loop guard; here it cannot be turned off). */
export const MAX_LOOP_ITERATIONS = 100;

/** `"3"` or `"1-4"` (inclusive) over a chat of `length` messages. */
function range(text: string, length: number): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(text);
  if (!m) throw invalid(`"${text}" is not a message index or a range like 2-5`);
  const start = Number(m[1]), end = m[2] === undefined ? start : Number(m[2]);
  if (start > end || end >= length) throw invalid(`no messages ${text} in a chat of ${length}`);
  return [start, end];
}

/** Deletes messages `start..end` (inclusive); returns their texts, each followed by a newline. */
async function cut(context: ChatContext, start: number, end: number): Promise<string> {
  const indexes = Array.from({ length: end - start + 1 }, (_, i) => start + i);
  const deleted = await context.deleteMessages(indexes) as ChatMessage[];
  return deleted.map((m) => `${m.mes ?? ""}\n`).join("");
}

/**
 * The character index of the open group's member `/trigger` names: a position in the member list
 * (from 0) or a name (exact, else the first member whose name contains it, case-insensitively).
 * Undefined outside a group or without an argument, as SillyTavern ignores it there.
 */
function triggeredMember(context: ChatContext, arg: string): number | undefined {
  const text = arg.trim();
  const { groups, groupId, characters } = context.snapshot({ chat: false });
  const group = groupId === null ? undefined : groups.find((g) => String(g.id) === groupId);
  if (!text || !group) return undefined;
  const members = groupMembers(group, characters);
  const lower = text.toLowerCase();
  const member = /^\d+$/.test(text)
    ? characters.find((c) => c.avatar === String((group.members as unknown[])[Number(text)]))
    : members.find((m) => String(m.name).toLowerCase() === lower) ??
      members.find((m) => String(m.name).toLowerCase().includes(lower));
  if (!member || !members.includes(member)) throw invalid(`no member "${text}" in the group ${group.name}`);
  return characters.indexOf(member);
}

function variables(prompt: PromptService): RecordingVariables {
  return new RecordingVariables(chatVariables(prompt.sources()), prompt.sources().prompt.globalVariables);
}

/**
 * An operand of `/if` and `/while` as SillyTavern resolves it: a number, else the chat variable of that
 * name, else the global one, else the text itself.
 */
function operand(vars: RecordingVariables, text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  if (text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  for (const scope of ["local", "global"] as const) {
    if (vars.get(scope, text) !== undefined) return readVariable(vars, scope, text);
  }
  return text;
}

/** Whether `left= rule= right=` holds (`a`/`b`, `first`/`second` and `x`/`y` too). */
function condition(named: Record<string, string>, vars: RecordingVariables): boolean {
  const a = operand(vars, named.left ?? named.a ?? named.first ?? named.x);
  const b = operand(vars, named.right ?? named.b ?? named.second ?? named.y);
  const rule = named.rule?.trim().toLowerCase() || (b === undefined ? "truthy" : "eq");
  if (a === undefined) throw invalid("the condition needs left=");
  if (rule === "truthy" || rule === "not") {
    const text = String(a).trim().toLowerCase();
    const truthy = ["true", "on", "1"].includes(text) ||
      (!["false", "off", "0", ""].includes(text) && a !== 0);
    return rule === "not" ? !truthy : truthy;
  }
  if (b === undefined) throw invalid(`the rule ${rule} needs right=`);
  if (typeof a === "number" && typeof b === "number") {
    switch (rule) {
      case "eq":
        return a === b;
      case "neq":
        return a !== b;
      case "lt":
        return a < b;
      case "gt":
        return a > b;
      case "lte":
        return a <= b;
      case "gte":
        return a >= b;
    }
  }
  const [x, y] = [String(a).toLowerCase(), String(b).toLowerCase()];
  switch (rule) {
    case "eq":
      return x === y;
    case "neq":
      return x !== y;
    case "in":
      return x.includes(y);
    case "nin":
      return !x.includes(y);
    case "lt":
    case "gt":
    case "lte":
    case "gte":
      throw invalid(
        `the rule ${rule} compares numbers; ${JSON.stringify(String(a))} or ${
          JSON.stringify(String(b))
        } is not one`,
      );
  }
  throw invalid(`unknown rule ${rule}: eq, neq, lt, gt, lte, gte, in, nin or not`);
}

/** Adds the built-ins to a registry. */
export function registerBuiltins(registry: SlashRegistry, services: SlashServices): void {
  const { context, generation, prompt, regex } = services;
  // read afresh at each test: a loop's closure changes them
  const operands = () => variables(prompt);
  const commands: SlashCommand[] = [
    {
      name: "send",
      helpString: "Adds a message as the user, without generating.",
      callback: async ({ unnamed }) => {
        if (unnamed) await generation.sendMessage(unnamed, { generate: false });
      },
    },
    {
      name: "sendas",
      helpString: "Adds a message as the character given by name=, without generating.",
      callback: async ({ named, unnamed }) => {
        const name = named.name;
        if (!name) throw invalid("/sendas needs name=");
        if (!unnamed) return;
        const card = context.snapshot({ chat: false }).characters.find((c) => c.name === name);
        const mes = await regex.apply(unnamed, regexPlacement.SLASH_COMMAND, { characterOverride: name });
        await context.addMessages({
          name,
          is_user: false,
          mes,
          ...(card ? { original_avatar: card.avatar } : {}),
          ...(named.avatar ? { force_avatar: named.avatar } : {}),
          extra: { ...manual },
        });
      },
    },
    {
      name: "sys",
      aliases: ["nar"],
      helpString: "Adds a narrator message (chat metadata `narrator_name`, else System).",
      callback: async ({ unnamed }) => {
        if (!unnamed) return;
        const narrator = context.snapshot({ chat: false }).chat_metadata.narrator_name;
        await context.addMessages({
          name: typeof narrator === "string" && narrator ? narrator : "System",
          is_user: false,
          is_system: false,
          mes: unnamed.trim(),
          extra: { type: "narrator", ...manual },
        });
      },
    },
    {
      name: "gen",
      helpString: "Generates a quiet reply to the prompt (nothing is added) and passes it down the pipe.",
      returns: "the generated text",
      callback: ({ unnamed }) => generation.generateQuietPrompt(unnamed),
    },
    {
      name: "genraw",
      helpString: "Generates from the prompt alone (no chat, no card) and passes the text down the pipe.",
      returns: "the generated text",
      callback: ({ unnamed }) => generation.generateRaw(unnamed),
    },
    {
      name: "trigger",
      helpString:
        "Starts a normal generation; in a group, /trigger <member> (index from 0 or name) makes that member speak, even a muted one.",
      callback: async ({ unnamed }) => {
        const force_chid = triggeredMember(context, unnamed);
        void await generation.generate("normal", force_chid === undefined ? {} : { force_chid });
      },
    },
    {
      name: "continue",
      aliases: ["cont"],
      helpString: "Continues the last reply.",
      callback: async () => void await generation.generate("continue"),
    },
    {
      name: "swipe",
      helpString: "Generates a new swipe of the last reply.",
      callback: async () => void await generation.generate("swipe"),
    },
    {
      name: "regenerate",
      helpString: "Replaces the last reply with a new one.",
      callback: async () => void await generation.generate("regenerate"),
    },
    {
      name: "del",
      aliases: ["delmode"],
      helpString: "Deletes the last N messages.",
      returns: "the text of the deleted messages",
      callback: async ({ unnamed }) => {
        if (!unnamed) return "";
        const count = Number(unnamed);
        if (!Number.isInteger(count)) throw invalid("/del takes a number of messages");
        const length = context.getMessageCount();
        if (count < 1) return "";
        if (count > length) throw invalid(`cannot delete more than ${length} messages`);
        return await cut(context, length - count, length - 1);
      },
    },
    {
      name: "cut",
      helpString: "Removes the message at an index or an inclusive range (e.g. 2-5).",
      returns: "the text of the cut messages",
      callback: ({ unnamed }) => cut(context, ...range(unnamed, context.getMessageCount())),
    },
    {
      name: "echo",
      helpString: "Shows a text and passes it down the pipe.",
      returns: "the text",
      callback: ({ unnamed, outputs }) => {
        outputs.echoes.push(unnamed);
        return unnamed;
      },
    },
    {
      name: "setinput",
      helpString: "Puts a text into the input.",
      returns: "the text",
      callback: ({ unnamed, outputs }) => {
        outputs.setInput = unnamed;
        return unnamed;
      },
    },
    {
      name: "setvar",
      aliases: ["setchatvar"],
      helpString: "Sets the chat variable key= to the value.",
      returns: "the value",
      callback: ({ named, unnamed }) => {
        const key = named.key ?? named.name;
        if (!key) throw invalid("/setvar needs key=");
        prompt.setChatVariables({ [key]: unnamed });
        return unnamed;
      },
    },
    {
      name: "getvar",
      aliases: ["getchatvar"],
      helpString: "The value of a chat variable (key= or the unnamed argument).",
      returns: "the value",
      callback: ({ named, unnamed }) =>
        String(readVariable(variables(prompt), "local", named.key ?? unnamed)),
    },
    {
      name: "addvar",
      aliases: ["addchatvar"],
      helpString: "Adds a number to the chat variable key= (or appends text).",
      returns: "the new value",
      callback: async ({ named, unnamed }) => {
        const key = named.key ?? named.name;
        if (!key) throw invalid("/addvar needs key=");
        const store = variables(prompt);
        const value = addToVariable(store, "local", key, unnamed);
        await prompt.persistVariables(store);
        return String(value);
      },
    },
    {
      name: "flushvar",
      aliases: ["flushchatvar"],
      helpString: "Removes a chat variable.",
      callback: async ({ named, unnamed }) => {
        const key = named.key ?? unnamed;
        if (!key) throw invalid("/flushvar needs a variable name");
        const { [key]: _gone, ...rest } = chatVariables(prompt.sources());
        await context.saveChatMetadata({ variables: rest });
      },
    },
    {
      name: "if",
      takesClosures: true,
      helpString: "Runs the closure when left= rule= right= holds (else= runs otherwise); rules: eq, neq, " +
        "lt, gt, lte, gte, in, nin, not. An operand names a chat or global variable, or is a value.",
      returns: "the result of the closure that ran",
      callback: async ({ named, closures, run }) => {
        if (closures[""] === undefined) throw invalid("/if needs a closure {: ... :} to run");
        if (condition(named, operands())) return await run(closures[""]);
        return closures.else === undefined ? "" : await run(closures.else);
      },
    },
    {
      name: "times",
      takesClosures: true,
      helpString: `Runs the closure N times (at most ${MAX_LOOP_ITERATIONS}); {{timesIndex}} counts from 0.`,
      returns: "the result of the last run",
      callback: async ({ unnamed, closures, run }) => {
        const count = Number(unnamed);
        if (unnamed === "" || !Number.isInteger(count) || count < 0) {
          throw invalid("/times takes a count and a closure: /times 3 {: ... :}");
        }
        if (closures[""] === undefined) throw invalid("/times needs a closure {: ... :} to run");
        let pipe: string | undefined;
        for (let i = 0; i < Math.min(count, MAX_LOOP_ITERATIONS); i++) {
          pipe = await run(closures[""], { pipe, macros: { timesIndex: String(i) } });
        }
        return pipe ?? "";
      },
    },
    {
      name: "while",
      takesClosures: true,
      helpString: `Runs the closure while left= rule= right= holds (at most ${MAX_LOOP_ITERATIONS} times).`,
      returns: "the result of the last run",
      callback: async ({ named, closures, run }) => {
        if (closures[""] === undefined) throw invalid("/while needs a closure {: ... :} to run");
        let pipe: string | undefined;
        for (let i = 0; i < MAX_LOOP_ITERATIONS && condition(named, operands()); i++) {
          pipe = await run(closures[""], { pipe });
        }
        return pipe ?? "";
      },
    },
    {
      name: "run",
      takesClosures: true,
      helpString: "Runs the closure kept in a chat or global variable (/setvar key=name {: ... :}).",
      returns: "the closure's result",
      callback: async ({ unnamed, closures, run }) => {
        if (closures[""] !== undefined) return await run(closures[""]);
        const name = unnamed.trim();
        if (!name) throw invalid("/run needs the name of a variable holding a closure");
        const vars = operands();
        const value = vars.get("local", name) ?? vars.get("global", name);
        const body = typeof value === "string" ? closureBody(value) : null;
        if (body === null) throw invalid(`no closure in the variable ${name}`);
        return await run(body);
      },
    },
    {
      name: "help",
      helpString: "Lists the commands.",
      returns: "the list",
      callback: ({ outputs }) => {
        const text = registry.list().map((c) => `/${c.name}${c.helpString ? ` — ${c.helpString}` : ""}`).join(
          "\n",
        );
        outputs.echoes.push(text);
        return text;
      },
    },
  ];
  for (const command of commands) registry.register(command);
}
