/**
 * Slash commands over RPC: `runSlashCommand(text)` for the UI and tools, `slash.list` for help and the
 * input's completion, and `registerSlashCommand` / `unregisterSlashCommand` for plugins and socket
 * clients, whose callbacks run on their own connection (`slash.invoke`). A connection's commands go when
 * it closes.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { defineMethod } from "../method.ts";
import { cleanUpOnClose } from "../peer-cleanup.ts";
import { PeerMethod } from "../peer-methods.ts";
import { ownerOf } from "./tools.ts";

/** How long the host waits for a command registered on a connection. */
const COMMAND_TIMEOUT_MS = 120_000;

const CommandName = z.string().regex(
  /^[A-Za-z0-9_][\w-]{0,63}$/,
  "a command name is letters, digits, _ or -",
);

const CommandSpec = z.object({
  name: CommandName,
  aliases: z.array(CommandName).max(16).optional(),
  helpString: z.string().max(10_000).optional(),
  returns: z.string().max(1_000).optional(),
});

const CommandInfo = z.object({
  name: z.string(),
  aliases: z.array(z.string()),
  helpString: z.string(),
  returns: z.string(),
  owner: z.string().nullable(),
});

const Result = z.object({
  ok: z.boolean(),
  pipe: z.string(),
  echoes: z.array(z.string()),
  setInput: z.string().optional(),
  error: z.string().optional(),
  command: z.string().optional(),
});

/** The slash command methods. */
export const slashMethods = [
  defineMethod({
    name: "runSlashCommand",
    summary:
      "Runs a slash command pipe (`/gen hi | /echo {{pipe}}`) over the open chat; the result carries " +
      "the last command's output, what /echo showed, /setinput's text, and any error.",
    params: z.tuple([z.string().min(1).max(100_000).meta({ title: "text" })]),
    result: Result,
    capability: "plugin",
    example:
      'const { ok, pipe } = await ctx.runSlashCommand("/setvar key=mood calm | /getvar mood"); // pipe: "calm"',
    handler: ({ lodge }, text) => lodge.slash.run(text),
  }),
  defineMethod({
    name: "slash.list",
    summary: "Every slash command (name, aliases, help, what it returns, owner) for help and completion.",
    params: z.tuple([]),
    result: z.array(CommandInfo),
    capability: "plugin",
    example:
      'const names = (await ctx.slash.list()).map((command) => command.name); // ["send", "sendas", ...]',
    handler: ({ lodge }) => lodge.slash.registry.list(),
  }),
  defineMethod({
    name: "registerSlashCommand",
    summary: "Registers a slash command whose callback runs on this connection (slash.invoke with the " +
      "named and unnamed arguments); a plugin cannot replace a built-in or another plugin's command.",
    params: z.tuple([CommandSpec.meta({ title: "command" })]),
    result: z.null(),
    capability: "plugin",
    example: [
      "await ctx.registerSlashCommand({",
      '  name: "roll",',
      '  helpString: "Rolls a six-sided die",',
      "  callback: () => String(1 + Math.floor(Math.random() * 6)), // runs in the plugin",
      "});",
    ].join("\n"),
    handler: (ctx, spec) => {
      const peer = ctx.peer;
      if (!peer) throw new LodgeError("unavailable", "a command needs a connection the host can call back");
      const owner = ownerOf(ctx);
      ctx.lodge.slash.registry.register({
        ...spec,
        owner,
        callback: ({ named, unnamed }) =>
          peer.request(PeerMethod.SLASH_INVOKE, { name: spec.name, named, unnamed }, {
            timeoutMs: COMMAND_TIMEOUT_MS,
          }),
      });
      cleanUpOnClose(peer, "slash", () => ctx.lodge.slash.registry.removeOwner(owner));
      return null;
    },
  }),
  defineMethod({
    name: "unregisterSlashCommand",
    summary: "Removes a slash command the caller registered.",
    params: z.tuple([CommandName.meta({ title: "name" })]),
    result: z.boolean(),
    capability: "plugin",
    example: 'await ctx.unregisterSlashCommand("roll"); // false when this plugin has no such command',
    handler: (ctx, name) => ctx.lodge.slash.registry.unregister(name, ownerOf(ctx)),
  }),
];
