/** `jsonDiff` (shared by the host, the client and plugin workers): its ops rebuild the target, guards fail on change. */

import assert from "node:assert/strict";
import { jsonDiff } from "../../core/json.ts";
import { applyPatch, type PatchOp } from "../../core/patch.ts";

const cases: [unknown, unknown][] = [
  [{ a: 1, b: [1, 2, 3], c: { d: "x" } }, { a: 2, b: [1, 5], c: { e: null }, "s/l~": true }],
  [[1, { x: 1 }], [1, { x: 2 }, 3]],
  [{ a: [] }, { a: { k: 1 } }],
  [{ keep: 1, gone: undefined }, { keep: 1, added: undefined }],
];

Deno.test("jsonDiff ops rebuild the target, with and without guards", () => {
  for (const [before, after] of cases) {
    const json = JSON.parse(JSON.stringify(after));
    for (const guards of [false, true]) {
      const ops = jsonDiff(before, after, { guards }) as PatchOp[];
      assert.deepEqual(applyPatch(JSON.parse(JSON.stringify(before)), ops, "strict"), json);
      assert.equal(ops.some((op) => op.op === "test"), guards && ops.some((op) => op.op !== "add"));
    }
  }
  assert.deepEqual(jsonDiff({ keep: 1, gone: undefined }, { keep: 1 }), [], "undefined keys count as absent");
});

Deno.test("a guard fails when the old value changed meanwhile", () => {
  const ops = jsonDiff({ n: 1 }, { n: 2 }, { guards: true }) as PatchOp[];
  assert.deepEqual(ops, [{ op: "test", path: "/n", value: 1 }, { op: "replace", path: "/n", value: 2 }]);
  assert.throws(() => applyPatch({ n: 5 }, ops, "strict"), /test operation failed/);
});
