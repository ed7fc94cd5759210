/**
 * Hostile plugins that tamper with what the trusted bootstrap relies on. One replaces
 * `Deno.memoryUsage`, `JSON.stringify` and `Array.prototype.toJSON` to report no memory while it
 * fills the sandbox process, and answers the host's heartbeats itself: its innocent neighbour used to be
 * blamed and killed. One reads host paths and the host's process id. The bootstrap keeps its own
 * references, taken before plugin code runs, and answers heartbeats first; host paths are hidden.
 */

import assert from "node:assert/strict";
import {
  assertAllDenied,
  assertGoodAnswers,
  duringAttack,
  emit,
  GOOD_ID,
  jsPlugin,
  PROBE,
  startHostile,
} from "./hostile-kit.ts";

/** The resident memory cap of the sandbox process in these tests, MiB. */
const RSS_MB = 400;

Deno.test("hostile: a plugin faking its memory figures is the one stopped, not its neighbour", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "fake-usage",
      `const zero = () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0 });
Deno.memoryUsage = zero;
const stringify = JSON.stringify;
JSON.stringify = (value, ...rest) => Array.isArray(value) && value.length >= 3 && typeof value[0] === "number"
  ? stringify([0, 0, 0, ...value.slice(3)], ...rest)
  : stringify(value, ...rest);
Array.prototype.toJSON = function () { return typeof this[0] === "number" ? [0, 0, 0, ...this.slice(3)] : [...this]; };
// answers to the heartbeats, the next ones guessed ahead and each one seen
let next = 1;
self.addEventListener("message", (e) => {
  if (typeof e.data !== "string" || !e.data.includes('"method":"ping"')) return;
  const seen = Number(/"id":"h(\\d+)"/.exec(e.data)?.[1]);
  for (let id = Math.max(next, seen); id < seen + 20; id++) {
    self.postMessage(stringify({ jsonrpc: "2.0", id: "h" + id, result: [0, 0, 0] }));
  }
  next = seen + 20;
});
const hog = [];
Luker.getContext().eventSource.on("hostile_hog", () => {
  // small steps, each answered heartbeat between them: only the reported figures tell who holds memory
  const step = () => {
    if (hog.length >= 60) return;
    hog.push(new Uint8Array(10 * 1024 * 1024).fill(1));
    setTimeout(step, 20);
  };
  step();
});
console.log("ready");`,
    ),
  ], { supervisor: { rssMb: RSS_MB } });
  try {
    await h.waitForState("fake-usage", "running");
    const boot = await assertGoodAnswers(h, "before the allocation");
    await duringAttack(h, "the allocation", async () => {
      await emit(h, "hostile_hog");
      const info = await h.waitForState("fake-usage", "crashed", 20_000);
      assert.match(info.reason ?? "", /memory/);
    });
    assert.notEqual(h.info(GOOD_ID).state, "crashed", "the innocent neighbour was blamed");
    const crashes = h.logs(GOOD_ID).filter((entry) => entry.text.startsWith("crashed"));
    assert.deepEqual(crashes, [], "the innocent neighbour was blamed");
    // its process was killed with the hog's: it restarts in a fresh one
    await h.waitForState(GOOD_ID, "running");
    const after = await assertGoodAnswers(h, "after the allocation");
    // restarted with a fresh process is fine (the hog's process was killed), never marked at fault
    assert.ok(after === boot || h.info(GOOD_ID).state === "running");
  } finally {
    await h.close();
  }
});

Deno.test("hostile: host paths and the host's process id are hidden from plugins", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "paths",
      `${PROBE}
await attempt("Deno.cwd()", () => Deno.cwd());
await attempt("Deno.execPath()", () => Deno.execPath());
await attempt("Deno.ppid", () => Deno.ppid);
await attempt("Deno.mainModule", () => Deno.mainModule);
await attempt("redefine Deno.cwd", () => { Object.defineProperty(Deno, "cwd", { value: () => "x" }); return Deno.cwd(); });
report("PATHS");`,
    ),
  ]);
  try {
    const report = await h.result<Record<string, { ok: boolean; error?: string }>>("paths", "PATHS");
    assertAllDenied(report);
    assert.match(report["Deno.cwd()"].error ?? "", /not available to plugins/);
    const text = JSON.stringify(report);
    assert.ok(!text.includes(Deno.cwd()), "a host path leaked");
    assert.ok(!text.includes(Deno.execPath()), "the deno path leaked");
    assert.ok(!new RegExp(`\\b${Deno.pid}\\b`).test(text), "the host's pid leaked");
    await assertGoodAnswers(h, "after the probe");
  } finally {
    await h.close();
  }
});
