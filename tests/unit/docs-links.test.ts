/**
 * The README and docs stand alone in a clone: every relative link of README.md and docs/*.md names a file
 * (or folder) of the repository, and none reaches outside it.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../support/host.ts";

/** The Markdown files a reader of a clone opens. */
function docFiles(): string[] {
  const files = ["README.md"];
  for (const entry of Deno.readDirSync(join(REPO_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** The targets of inline links and images (`[text](target)`), outside code spans and fences. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1\s*$/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

Deno.test("README.md and docs/ link only to files of the repository", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of docFiles()) {
    for (const target of linkTargets(Deno.readTextFileSync(join(REPO_ROOT, file)))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue; // a URL or an anchor
      checked++;
      const path = resolve(REPO_ROOT, dirname(file), decodeURIComponent(target.replace(/[#?].*$/, "")));
      const inside = !relative(REPO_ROOT, path).startsWith("..");
      if (!inside || !existsSync(path)) broken.push(`${file}: ${target}`);
    }
  }
  assert.ok(checked > 20, `only ${checked} relative links found`);
  assert.deepEqual(broken, [], "links to files a clone does not have");
});

Deno.test("the link reader finds links and leaves code alone", () => {
  assert.deepEqual(
    linkTargets('See [a](docs/a.md) and ![pic](p.png "t").\n`[no](x.md)`\n```md\n[no](y.md)\n```\n'),
    ["docs/a.md", "p.png"],
  );
});
