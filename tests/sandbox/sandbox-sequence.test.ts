/**
 * One hook heard by several plugins of one sandbox process travels as one sequence: the host writes
 * one `seq` envelope and the sandbox process posts each worker's frame when the one before answered
 * "nothing changed", so the listeners still run one after another, each awaited. An edit ends the
 * sequence: the host applies it (through the payload guard) and asks the rest again with the edited
 * payload. A plugin with no listener of the event is not on the bus for it, so it is not asked.
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

/** Listens on `seq_probe`: logs when it starts and ends, what it saw, and edits when told to. */
const listener = (id: string, priority: number) => `
const ctx = Luker.getContext();
ctx.eventSource.on("seq_probe", async (payload) => {
  const start = Date.now();
  await new Promise((r) => setTimeout(r, 15)); // awaited: the next plugin must wait for this one
  console.log("saw", JSON.stringify({ trail: payload.trail, start, end: Date.now() }));
  if (payload.editors.includes("${id}")) payload.trail.push("${id}");
}, { priority: ${priority} });
`;

Deno.test("one hook, three plugins of one process: one envelope while nobody edits", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [
      { id: "one", files: { "index.js": listener("one", 30) } },
      { id: "two", files: { "index.js": listener("two", 20) } },
      { id: "three", files: { "index.js": listener("three", 10) } },
      // listens to something else: never asked for seq_probe
      { id: "deaf", files: { "index.js": `Luker.getContext().eventSource.on("other_event", () => {});` } },
    ],
  });
  for (const id of ["one", "two", "three", "deaf"]) await h.waitForState(id, "running");
  const [process] = h.supervisor.processes();
  assert.equal(h.supervisor.processes().length, 1, "the plugins share one sandbox process");
  const seqs = () => h.supervisor.processes().find((p) => p.pid === process.pid)!.sent.seq;
  type Saw = { trail: string[]; start: number; end: number };
  const saw = (id: string): Saw[] =>
    h.logs(id).filter((l) => l.text.startsWith("saw ")).map((l) => JSON.parse(l.text.slice(4)));
  const emit = async (editors: string[]) => {
    const payload = { trail: [] as string[], editors };
    const before = seqs();
    await h.lodge.events.emit("seq_probe", payload);
    return { payload, envelopes: seqs() - before };
  };

  await t.step("only the listeners are on the bus", () => {
    const meta = h.lodge.events.getListenersMeta("seq_probe");
    assert.deepEqual(meta.map((m) => m.pluginId), ["one", "two", "three"]);
  });

  await t.step("no edit: one envelope, each listener awaited in order", async () => {
    const { payload, envelopes } = await emit([]);
    assert.deepEqual(payload.trail, []);
    assert.equal(envelopes, 1);
    const [a, b, c] = ["one", "two", "three"].map((id) => saw(id).at(-1)!);
    assert.ok(b.start >= a.end && c.start >= b.end, `in turn: ${JSON.stringify([a, b, c])}`);
  });

  await t.step("the first edits: the rest is asked again and sees the edit", async () => {
    const { payload, envelopes } = await emit(["one"]);
    assert.deepEqual(payload.trail, ["one"]);
    assert.equal(envelopes, 2);
    assert.deepEqual(saw("two").at(-1)!.trail, ["one"]);
    assert.deepEqual(saw("three").at(-1)!.trail, ["one"]);
  });

  await t.step("every listener edits: each sees the edits before it", async () => {
    const { payload, envelopes } = await emit(["one", "two", "three"]);
    assert.deepEqual(payload.trail, ["one", "two", "three"]);
    assert.equal(envelopes, 3);
    assert.deepEqual(saw("three").at(-1)!.trail, ["one", "two"]);
  });
});
