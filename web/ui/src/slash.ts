/**
 * Slash commands from the input: the command list for completion (`slash.list`, read again whenever a
 * completion starts, since plugins register commands at any time) and running a pipe through
 * `runSlashCommand`, whose result (output, `/echo` lines, `/setinput` text, error) the input shows.
 * @module
 */

import { signal } from "@preact/signals";
import type { SlashCommandInfo, SlashResult } from "../../../core/slash/mod.ts";
import { call } from "./api.ts";

/** A command as `slash.list` lists it, and what `runSlashCommand` answers: the host's own types. */
export type { SlashCommandInfo, SlashResult };

/** Every command, once loaded. */
export const slashCommands = signal<SlashCommandInfo[]>([]);

let loading: Promise<void> | null = null;

/** Reads the command list again (at most one read in flight). */
export function refreshSlashCommands(): Promise<void> {
  loading ??= call("slash.list").then((list) => {
    slashCommands.value = (list as SlashCommandInfo[]).toSorted((a, b) => a.name.localeCompare(b.name));
  }).finally(() => (loading = null));
  return loading;
}

/** The command name being typed at `cursor`: after a leading `/` of the text or of a pipe segment. */
export function typedCommand(text: string, cursor: number): { start: number; prefix: string } | null {
  const before = text.slice(0, cursor);
  if (!before.trimStart().startsWith("/")) return null;
  const segment = before.lastIndexOf("|") + 1;
  const match = /^\s*\/([\w-]*)$/.exec(before.slice(segment));
  if (!match) return null;
  return { start: cursor - match[1].length, prefix: match[1].toLowerCase() };
}

/** Commands whose name or an alias starts with `prefix`, names first, at most `limit`. */
export function completions(prefix: string, limit = 8): SlashCommandInfo[] {
  const all = slashCommands.value;
  const byName = all.filter((c) => c.name.toLowerCase().startsWith(prefix));
  const byAlias = all.filter((c) =>
    !byName.includes(c) && c.aliases.some((a) => a.toLowerCase().startsWith(prefix))
  );
  return [...byName, ...byAlias].slice(0, limit);
}

/** Runs a slash pipe over the open chat. */
export async function runSlash(text: string): Promise<SlashResult> {
  return await call("runSlashCommand", text) as SlashResult;
}
