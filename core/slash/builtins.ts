/**
 * The built-in slash commands, SillyTavern's common set: messages (`/send`, `/sendas`, `/sys`, `/del`,
 * `/cut`), generation (`/gen`, `/genraw`, `/trigger`, `/continue`, `/swipe`, `/regenerate`), chat
 * variables (`/setvar`, `/getvar`, `/addvar`, `/flushvar`) and the input (`/echo`, `/setinput`, `/help`).
 * Each goes through the same core services as every other door.
 * @module
 */

import type { ChatContext } from "../context.ts";
import { invalid } from "../errors.ts";
import type { GenerationService } from "../generation/mod.ts";
import { addToVariable, readVariable, RecordingVariables } from "../macros/mod.ts";
import { chatVariables } from "../prompt/mod.ts";
import type { PromptService } from "../prompt/service.ts";
import { regexPlacement, type RegexService } from "../regex/mod.ts";
import type { ChatMessage } from "../store.ts";
import type { SlashCommand, SlashRegistry } from "./registry.ts";

/** The services the built-ins use. */
export interface SlashServices {
  context: ChatContext;
  generation: GenerationService;
  prompt: PromptService;
  regex: RegexService;
}

const manual = { api: "manual", model: "slash command" };

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

function variables(prompt: PromptService): RecordingVariables {
  return new RecordingVariables(chatVariables(prompt.sources()), prompt.sources().prompt.globalVariables);
}

/** Adds the built-ins to a registry. */
export function registerBuiltins(registry: SlashRegistry, services: SlashServices): void {
  const { context, generation, prompt, regex } = services;
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
      helpString: "Starts a normal generation.",
      callback: async () => void await generation.generate("normal"),
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
