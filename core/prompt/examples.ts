/**
 * Example dialogue: a card's `mes_example` split into `<START>` blocks, each block into messages
 * (`example_user` / `example_assistant`, sent as named system messages), as SillyTavern does for chat
 * completion.
 * @module
 */

import type { PromptMessage } from "./types.ts";

/**
 * Splits examples into blocks, each starting `<START>\n` and ending with a newline; text before the first
 * `<START>` is a block of its own.
 * @example
 * splitExampleBlocks("<START>\nA: hi\n<START>\nB: yo"); // ["<START>\nA: hi\n", "<START>\nB: yo\n"]
 */
export function splitExampleBlocks(examples: string): string[] {
  if (!examples || examples === "<START>") return [];
  const text = /^<START>/.test(examples) ? examples : `<START>\n${examples.trim()}`;
  return text.split(/<START>/gi).slice(1).map((block) => `<START>\n${block.trim()}\n`);
}

/**
 * The messages of one block: a line starting `name1:` opens a user turn, `name2:` a character turn; a
 * turn runs until the other speaker's line. The heading line is skipped, the speaker's first `Name:`
 * removed. In a group chat the name stays in front of the text.
 */
export function parseExampleBlock(
  block: string,
  name1: string,
  name2: string,
  inGroup = false,
): PromptMessage[] {
  const lines = block.replace(/<START>/i, "{Example Dialogue:}").replace(/\r/g, "").split("\n");
  const result: PromptMessage[] = [];
  let current: string[] = [];
  let speaker: "user" | "char" | null = null;
  const flush = () => {
    if (!speaker) return;
    const name = speaker === "user" ? name1 : name2;
    let content = current.join("\n").replace(`${name}:`, "").trim();
    if (inGroup) content = `${name}: ${content}`;
    result.push({ role: "system", content, name: speaker === "user" ? "example_user" : "example_assistant" });
    current = [];
  };
  for (const line of lines.slice(1)) {
    if (line.startsWith(`${name1}:`)) {
      if (speaker === "char") flush();
      speaker = "user";
    } else if (line.startsWith(`${name2}:`)) {
      if (speaker === "user") flush();
      speaker = "char";
    }
    current.push(line);
  }
  flush();
  return result;
}
