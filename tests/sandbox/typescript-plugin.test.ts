/**
 * TypeScript plugins: a manifest's `js` may name a `.ts` entry. The worker loads it as Deno loads any
 * module (transpiled, never type-checked, through the same dynamic `import()` and permissions as a
 * JavaScript entry, so its folder stays the only place it reads), and its errors name the plugin's own
 * file and line (Deno maps the transpiled code back to the source).
 */

import assert from "node:assert/strict";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const ENTRY = [
  "interface Tally { count: number }",
  "const ctx = Luker.getContext();",
  "const tally: Tally = { count: ctx.getMessageCount() };",
  'console.log("loaded", JSON.stringify(tally));',
  "// a type error is not checked at load: the plugin still runs",
  'const wrong: number = "not a number" as unknown as number;',
  'console.log("typed", typeof wrong);',
  "ctx.eventSource.on(ctx.eventTypes.MESSAGE_SENT, (index: number) => {",
  "  throw new Error(`boom at ${index}`);",
  "});",
  "export function fail(): never {",
  '  throw new TypeError("failing line");',
  "}",
  "setTimeout(() => fail(), 0);",
  'import { add } from "./lib/add.ts";',
  'console.log("imported", add(2, 3));',
].join("\n");

Deno.test("a TypeScript plugin loads, runs and reports its own file and line", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [{
      id: "ts-plugin",
      manifest: { js: "index.ts" },
      files: {
        "index.ts": ENTRY,
        "lib/add.ts": "export const add = (a: number, b: number): number => a + b;\n",
      },
    }],
  });
  await h.waitForState("ts-plugin", "running");

  await t.step("it ran as TypeScript", async () => {
    await h.waitForLog("ts-plugin", /^loaded \{"count":\d+\}$/);
    await h.waitForLog("ts-plugin", /^typed string$/);
    await h.waitForLog("ts-plugin", /^imported 5$/);
  });

  await t.step("an uncaught error names index.ts and its line", async () => {
    const line = await h.waitForLog("ts-plugin", /failing line/);
    assert.match(line.text, /index\.ts:12:\d+/);
  });

  await t.step("a listener's error names index.ts and its line", async () => {
    await h.call("eventSource.emit", "message_sent", 0);
    const line = await h.waitForLog("ts-plugin", /listener of message_sent failed: Error: boom at 0/);
    assert.match(line.text, /index\.ts:9:\d+/);
  });
});
