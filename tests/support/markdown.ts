/**
 * Fenced code blocks of a Markdown file, for the tests that run the examples of README.md and docs/.
 * @module
 */

/** One fenced code block of a Markdown file. */
export interface Example {
  file: string;
  /** The line of its opening fence (1-based). */
  line: number;
  lang: string;
  /** The words of the info string after the language (`runnable`, `fragment`). */
  flags: string[];
  code: string;
}

/** Every fenced block of a file (backtick fences of three or more, closed by the same fence). */
export function fencedBlocks(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [lang = "", ...flags] = open[2].trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].trimEnd() !== open[1]) body.push(lines[j++]);
    out.push({ file, line: i + 1, lang, flags, code: body.join("\n") + "\n" });
    i = j;
  }
  return out;
}
