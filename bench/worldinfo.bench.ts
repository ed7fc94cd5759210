/**
 * World Info scan benchmark: a 10,000-entry book (1-3 plain keys each, ~50-word contents) and a
 * 100,000-entry book, each scanned against 100 messages of ~60 words with `maxContext` 32768 at scan
 * depth 2 and at depth 100. Books are compiled once outside the measured function (as the host does per
 * book version); compiling is timed on its own. Targets: the 10,000-entry book in ≤ 6 ms at depth 2 and
 * ≤ 25 ms at depth 100 (30 times SillyTavern 1.12.6's 190 / 741 ms on the same case), the 100,000-entry
 * book within 10 times the 10,000-entry time.
 * @module
 */

import {
  combineBooks,
  compileBook,
  resolveWorldInfoSettings,
  scanWorldInfo,
  type WorldInfoBook,
} from "../core/worldinfo/mod.ts";
import { estimateTokens } from "../core/tokens/mod.ts";
import { Samples } from "./samples.ts";
import { textMaker } from "./words.ts";

const { random, word, sentence } = textMaker(7);
// Key words: three per entry of the large book; the small book uses the first tenth.
const keyWords = Array.from({ length: 300_000 }, word);

function makeBook(size: number): WorldInfoBook {
  const entries: WorldInfoBook["entries"] = {};
  for (let uid = 0; uid < size; uid++) {
    const keys = 1 + Math.floor(random() * 3);
    entries[uid] = {
      uid,
      key: Array.from({ length: keys }, (_, k) => keyWords[uid * 3 + k]),
      keysecondary: [],
      content: sentence(50, keyWords.slice(0, size * 3), 0.02),
      order: 100 + (uid % 50),
      position: uid % 2,
    };
  }
  return { entries };
}

const smallKeys = keyWords.slice(0, 30_000);
const messages = Array.from({ length: 100 }, () => sentence(60, smallKeys, 0.03));
const settingsAt = (depth: number) => resolveWorldInfoSettings({ world_info_depth: depth });
const samples = new Samples();

const books = new Map<number, ReturnType<typeof combineBooks>>();
for (const size of [10_000, 100_000]) {
  const data = makeBook(size);
  const start = performance.now();
  const compiled = compileBook(`book${size}`, data);
  compiled.matchers(false);
  samples.record(`compile ${size} entries`, performance.now() - start);
  books.set(size, combineBooks({ global: [compiled] }, 1));
}

for (const size of [10_000, 100_000]) {
  for (const depth of [2, 100]) {
    const name = `scan ${size} entries, depth ${depth}`;
    const set = books.get(size)!;
    const settings = settingsAt(depth);
    Deno.bench(
      name,
      { group: `depth ${depth}`, baseline: size === 10_000 },
      samples.timed(name, () => {
        scanWorldInfo(
          { chat: messages, maxContext: 32768, books: set, settings, dryRun: true },
          { countTokens: estimateTokens, random },
        );
      }),
    );
  }
}

globalThis.addEventListener("unload", () => {
  const median = (name: string) => samples.quantile(name, 0.5);
  for (const line of samples.lines()) console.error(line);
  const ratio = (depth: number) =>
    Math.round(
      median(`scan 100000 entries, depth ${depth}`) / median(`scan 10000 entries, depth ${depth}`) * 100,
    ) /
    100;
  console.error(JSON.stringify({
    name: "worldinfo targets",
    depth2_ms: median("scan 10000 entries, depth 2"),
    depth2_target_ms: 6,
    depth100_ms: median("scan 10000 entries, depth 100"),
    depth100_target_ms: 25,
    large_over_small_depth2: ratio(2),
    large_over_small_depth100: ratio(100),
    large_over_small_target: 10,
  }));
});
