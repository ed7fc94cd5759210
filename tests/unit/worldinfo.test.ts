/**
 * The World Info engine: the differential fixtures read from SillyTavern's code, and the behaviours
 * that need a sequence of scans or a fixed random source (timed effects, probability, groups), macros
 * in keys and contents, regex key guards and the matcher itself.
 */

import assert from "node:assert/strict";
import {
  combineBooks,
  compileBook,
  type CompiledBook,
  resolveWorldInfoSettings,
  type ScanRequest,
  scanWorldInfo,
  seededRandom,
  type TimedWorldInfo,
  type WorldInfoEntry,
} from "../../core/worldinfo/mod.ts";
import { PatternMatcher } from "../../core/worldinfo/matcher.ts";
import { cyrb53 } from "../../core/worldinfo/keys.ts";
import { estimateTokens } from "../../core/tokens/mod.ts";
import { fixtures } from "./worldinfo-fixtures.ts";

function book(name: string, entries: Partial<WorldInfoEntry>[]): CompiledBook {
  return compileBook(name, { entries: Object.fromEntries(entries.map((x, i) => [String(x.uid ?? i), x])) });
}

function scan(
  entries: Partial<WorldInfoEntry>[],
  messages: string[],
  options: Partial<ScanRequest> & { settingsRaw?: Record<string, unknown> } = {},
  deps: { random?: () => number; substitute?: (t: string) => string } = {},
) {
  const { settingsRaw, ...rest } = options;
  return scanWorldInfo({
    chat: messages,
    maxContext: 8192,
    books: combineBooks({ global: [book("L", entries)] }, 1),
    settings: resolveWorldInfoSettings(settingsRaw ?? {}),
    ...rest,
  }, { countTokens: estimateTokens, ...deps });
}

const uids = (r: { activated: { world: string; uid: number }[] }) =>
  r.activated.map((a) => `${a.world}.${a.uid}`);

Deno.test("differential fixtures from SillyTavern's checkWorldInfo", async (t) => {
  for (const f of fixtures) {
    await t.step(f.name, () => {
      const books = (list: [string, Partial<WorldInfoEntry>[]][] | undefined) =>
        (list ?? []).map(([n, es]) => book(n, es));
      const settings = resolveWorldInfoSettings(f.settings ?? {});
      const result = scanWorldInfo({
        chat: f.messages,
        maxContext: f.maxContext ?? 8192,
        books: combineBooks(
          { global: books(f.global), character: books(f.character), chat: books(f.chat) },
          settings.world_info_character_strategy,
        ),
        settings,
        injections: f.injections,
        character: { filename: "Ada" },
        dryRun: true,
      }, { countTokens: estimateTokens, random: () => 0.5 });
      assert.deepEqual(uids(result), f.activated, f.why);
      for (const [slot, expected] of Object.entries(f.slots ?? {})) {
        assert.deepEqual(
          (result.slots as unknown as Record<string, unknown>)[slot],
          expected,
          `${slot}: ${f.why}`,
        );
      }
    });
  }
});

Deno.test("sticky and cooldown over a sequence of scans, kept in the timed state", () => {
  const entry = { uid: 0, key: ["cat"], content: "C", sticky: 2, cooldown: 2 };
  let state = null as TimedWorldInfo | null;
  const step = (messages: string[]) => {
    const r = scan([entry], messages, { timedState: state });
    state = r.timedState;
    return uids(r);
  };
  assert.deepEqual(step(["cat"]), ["L.0"]);
  assert.deepEqual(state, {
    sticky: { "L.0": { hash: state!.sticky["L.0"].hash, start: 1, end: 3, protected: false } },
    cooldown: { "L.0": { hash: state!.sticky["L.0"].hash, start: 1, end: 3, protected: false } },
  });
  assert.deepEqual(step(["dog", "x"]), ["L.0"], "sticky keeps it active without a key");
  assert.deepEqual(step(["cat", "dog", "x"]), [], "sticky ended: the cooldown starts and blocks the key");
  assert.equal(state!.cooldown["L.0"].protected, true);
  assert.deepEqual(state!.cooldown["L.0"].end, 5);
  assert.deepEqual(step(["cat", "cat", "dog", "x"]), [], "still cooling down");
  assert.deepEqual(step(["cat", "cat", "cat", "dog", "x"]), ["L.0"], "cooldown over");
  assert.equal(state!.sticky["L.0"].start, 5);
});

Deno.test("a rescan at the same chat length (swipe, regenerate) drops the effects it set", () => {
  const entry = { uid: 0, key: ["cat"], content: "C", sticky: 3 };
  const first = scan([entry], ["cat"]);
  const again = scan([entry], ["dog"], { timedState: first.timedState });
  assert.deepEqual(uids(again), [], "the sticky set at length 1 does not hold at length 1");
  assert.deepEqual(again.timedState, { sticky: {}, cooldown: {} });
});

Deno.test("delay: no activation before the chat has that many messages", () => {
  const entry = { uid: 0, key: ["cat"], content: "C", delay: 3 };
  assert.deepEqual(uids(scan([entry], ["cat", "x"])), []);
  assert.deepEqual(uids(scan([entry], ["cat", "x", "y"])), ["L.0"]);
});

Deno.test("dry runs read timed effects but never advance them", () => {
  const entry = { uid: 0, key: ["cat"], content: "C", sticky: 2 };
  const real = scan([entry], ["cat"]);
  const stored = structuredClone(real.timedState);
  const dry = scan([entry], ["dog", "x"], { timedState: stored, dryRun: true });
  assert.deepEqual(uids(dry), ["L.0"], "the sticky entry shows in a preview");
  assert.equal(dry.timedState, null);
  assert.deepEqual(stored, real.timedState, "the state passed in is not touched");
  const none = scan([{ ...entry, sticky: null }], ["cat"], { dryRun: true });
  assert.equal(none.timedState, null);
});

Deno.test("probability rolls the random source once per candidate; failures are not retried", () => {
  let calls = 0;
  const counting = (value: number) => () => (calls++, value);
  const entries = [
    { uid: 0, key: ["cat"], content: "cat again", probability: 50 },
    { uid: 1, key: ["cat"], content: "sure", probability: 100 },
    { uid: 2, key: ["cat"], content: "off", probability: 10, useProbability: false },
  ];
  const pass = scan(entries, ["cat"], {}, { random: counting(0.4) });
  assert.deepEqual(uids(pass), ["L.0", "L.1", "L.2"]);
  assert.equal(calls, 1, "100 % and useProbability: false do not roll");
  calls = 0;
  const fail = scan(entries, ["cat"], { settingsRaw: { world_info_recursive: true } }, {
    random: counting(0.6),
  });
  assert.deepEqual(uids(fail), ["L.1", "L.2"]);
  assert.equal(calls, 1, "the failed entry is not rolled again in the recursion step");
});

Deno.test("inclusion groups: weighted pick with a fixed random source", () => {
  const entries = [
    { uid: 0, key: ["cat"], content: "A", group: "g", groupWeight: 1 },
    { uid: 1, key: ["cat"], content: "B", group: "g", groupWeight: 1 },
    { uid: 2, key: ["cat"], content: "C", group: "g", groupWeight: 98 },
  ];
  assert.deepEqual(uids(scan(entries, ["cat"], {}, { random: () => 0.5 })), ["L.2"]);
  assert.deepEqual(uids(scan(entries, ["cat"], {}, { random: () => 0.005 })), ["L.0"]);
  assert.deepEqual(uids(scan(entries, ["cat"], {}, { random: () => 0.015 })), ["L.1"]);
  const seeded = () => uids(scan(entries, ["cat"], {}, { random: seededRandom(42) }));
  assert.deepEqual(seeded(), seeded(), "the same seed picks the same winner");
});

Deno.test("sticky members win their group", () => {
  const entries = [
    { uid: 0, key: ["cat"], content: "A", group: "g", sticky: 5, groupOverride: true, order: 1 },
    { uid: 1, key: ["cat"], content: "B", group: "g", groupOverride: true, order: 9 },
  ];
  assert.deepEqual(uids(scan(entries, ["cat", "x", "y"])), ["L.1"], "without effects the override wins");
  const hashOf0 = compileBook("L", { entries: { 0: entries[0] } }).entries[0].hash;
  const sticky = scan(entries, ["cat", "x", "y"], {
    timedState: { sticky: { "L.0": { hash: hashOf0, start: 1, end: 9, protected: false } }, cooldown: {} },
  });
  assert.deepEqual(uids(sticky), ["L.0"]);
});

Deno.test("macros in keys and contents", () => {
  const substitute = (t: string) => t.replaceAll("{{char}}", "Ada").replaceAll("<USER>", "Bob");
  const entries = [
    { uid: 0, key: ["{{char}}"], content: "About {{char}}." },
    { uid: 1, key: ["<USER>"], content: "B" },
    { uid: 2, key: ["/{{char}}$/"], content: "R" },
  ];
  const r = scan(entries, ["bob met Ada"], {}, { substitute });
  assert.deepEqual(uids(r), ["L.0", "L.1", "L.2"]);
  assert.deepEqual(
    r.slots.worldInfoBeforeEntries,
    ["R", "B", "About Ada."],
    "equal orders: the later activation first",
  );
});

Deno.test("scan data flags and generation triggers", () => {
  const entries = [
    { uid: 0, key: ["sword"], content: "A", matchCharacterDescription: true },
    { uid: 1, key: ["sword"], content: "B" },
    { uid: 2, key: [], content: "C", constant: true, triggers: ["quiet"] },
  ];
  const data = { characterDescription: "She carries a sword.", trigger: "normal" };
  assert.deepEqual(uids(scan(entries, ["hello"], { globalScanData: data })), ["L.0"]);
  assert.deepEqual(uids(scan(entries, ["hello"], { globalScanData: { ...data, trigger: "quiet" } })), [
    "L.0",
    "L.2",
  ]);
});

Deno.test("risky regex keys are refused at compile time and never run", () => {
  const compiled = book("L", [{ uid: 0, key: ["/(a+)+$/", `/${"a".repeat(1001)}/`, "plain"], content: "A" }]);
  assert.deepEqual(compiled.warnings.map((w) => w.reason), ["nested quantifier", "too long"]);
  assert.deepEqual(compiled.entries[0].primary.map((k) => k.kind), ["plain"]);
  const start = performance.now();
  const r = scan([{ uid: 0, key: ["/(a+)+$/"], content: "A" }], ["a".repeat(40) + "!"]);
  assert.deepEqual(uids(r), []);
  assert.ok(performance.now() - start < 1000);
});

Deno.test("the matcher finds every occurrence of overlapping patterns", () => {
  const patterns = ["he", "she", "his", "hers", "s"];
  const m = new PatternMatcher(patterns);
  const found: string[] = [];
  m.scan("ushers", (p, end) => found.push(`${patterns[p]}@${end}`));
  assert.deepEqual(found.sort(), ["he@4", "hers@6", "s@2", "s@6", "she@4"].sort());
  const big = Array.from({ length: 300 }, (_, i) => `k${i}x`);
  const wide = new PatternMatcher(big);
  const hits: number[] = [];
  wide.scan("k17x k299x k300x", (p) => hits.push(p));
  assert.deepEqual(hits, [17, 299]);
});

Deno.test("entries activated by WORLDINFO_FORCE_ACTIVATE", () => {
  const r = scan([{ uid: 3, key: ["zzz"], content: "F" }], ["nothing"], {
    forceActivate: [{ world: "L", uid: 3 }],
  });
  assert.deepEqual(uids(r), ["L.3"]);
});

Deno.test("entry hashes are SillyTavern's: cyrb53 of the entry with uid and world first, decorators and content set", () => {
  const raw = { uid: 3, key: ["a"], content: "@@activate\nx", order: 5, comment: "c" };
  const compiled = compileBook("W", { entries: { 3: raw } }).entries[0];
  const { uid: _uid, ...rest } = raw;
  const input = JSON.stringify({ uid: 3, world: "W", ...rest, decorators: ["@@activate"], content: "x" });
  assert.equal(compiled.hash, cyrb53(input));
});

Deno.test("the matcher agrees with a naive search on random patterns", () => {
  const random = seededRandom(3);
  const letters = "abcab\u00e9\u{1F600}".split("");
  const word = (n: number) =>
    Array.from({ length: 1 + Math.floor(random() * n) }, () => letters[Math.floor(random() * letters.length)])
      .join("");
  const patterns = [...new Set(Array.from({ length: 400 }, () => word(5)))];
  const text = Array.from({ length: 50 }, () => word(8)).join(" ");
  const m = new PatternMatcher(patterns);
  const found: string[] = [];
  m.scan(text, (p, end) => found.push(`${p}@${end}`));
  const naive: string[] = [];
  patterns.forEach((p, id) => {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) {
      naive.push(`${id}@${at + p.length}`);
    }
  });
  assert.deepEqual(found.sort(), naive.sort());
});
