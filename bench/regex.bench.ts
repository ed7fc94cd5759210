/**
 * Regex runtime benchmark: a 1,000-message chat (~60 words a message) through 50 scripts, the shapes
 * users keep (word swaps, markup strippers, group rewrites with `$1`, some depth-bounded prompt-only
 * scripts), as the generation pipeline runs them on a prompt's history: once through the host's service
 * (macro preparation, the bounded runner process and its pipes), once in process with the bare engine,
 * which tells what the bounded runtime costs.
 * @module
 */

import { Lodge } from "../core/lodge.ts";
import {
  type RegexItem,
  regexPlacement,
  type RegexScript,
  runJobs,
  scriptApplies,
} from "../core/regex/mod.ts";
import { seedDefaults } from "../core/seed.ts";
import { openSqliteStore } from "../core/sqlite-store.ts";
import { Samples } from "./samples.ts";

const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "*sighs*", "Ann", "said", "—"];
let seed = 7;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const message = () => Array.from({ length: 60 }, () => words[Math.floor(random() * words.length)]).join(" ");

const scripts: RegexScript[] = Array.from({ length: 50 }, (_, i) => {
  const shapes = [
    { findRegex: `/\\bfox${i}?\\b/g`, replaceString: "wolf" },
    { findRegex: "/\\*([^*]+)\\*/g", replaceString: "_$1_" },
    { findRegex: `/(Ann) said/gi`, replaceString: "$1 whispered" },
    { findRegex: `/—/g`, replaceString: "-" },
    { findRegex: `/lazy (\\w+)/g`, replaceString: "sleepy $1", promptOnly: true, minDepth: 2 },
  ];
  return {
    id: `s${i}`,
    scriptName: `script ${i}`,
    placement: [regexPlacement.USER_INPUT, regexPlacement.AI_OUTPUT],
    ...shapes[i % shapes.length],
  };
});

const lodge = new Lodge(openSqliteStore(":memory:"), { onListenerError: () => {} });
seedDefaults(lodge);
await lodge.context.selectCharacterById(0);
await lodge.settings.patch([{ op: "add", path: "/extension_settings/regex", value: scripts }]);
const items: RegexItem[] = Array.from({ length: 1_000 }, (_, i) => ({
  text: message(),
  placement: i % 2 ? regexPlacement.AI_OUTPUT : regexPlacement.USER_INPUT,
  isPrompt: true,
  depth: 999 - i,
}));
await lodge.regex.applyAll(items); // starts the runner process

const prepared = scripts.map((s) => ({
  id: s.id,
  findRegex: s.findRegex,
  replaceString: s.replaceString,
  trimStrings: [],
}));
const jobs = items.map((item) => ({
  text: item.text,
  scripts: scripts.flatMap((s, i) => scriptApplies(s, item.placement, item) ? [i] : []),
}));

const samples = new Samples();
Deno.bench(
  "1,000 messages × 50 scripts, host service (bounded runner)",
  samples.timedAsync("1,000 messages × 50 scripts, host service (bounded runner)", async () => {
    await lodge.regex.applyAll(items);
  }),
);
Deno.bench(
  "1,000 messages × 50 scripts, bare engine in process",
  samples.timed("1,000 messages × 50 scripts, bare engine in process", () => {
    runJobs(prepared, jobs);
  }),
);

globalThis.addEventListener("unload", () => {
  lodge.close();
  for (const line of samples.lines()) console.error(line);
});
