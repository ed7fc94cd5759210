/**
 * The patch engine (`core/patch.ts`): RFC 6902 appendix A examples and selected must-fail cases in the
 * spirit of the public json-patch-tests suite (strict mode), Lodge's lenient mode for object documents,
 * leading-zero indexes and forbidden segments.
 */

import assert from "node:assert/strict";
import { kindOf } from "../support/asserts.ts";
import { deepEqual, escapeSegment } from "../../core/json.ts";
import { applyPatch, parsePointer, type PatchMode, type PatchOp, PatchOpsSchema } from "../../core/patch.ts";

type Expect = { doc: unknown } | { error: "invalid" | "conflict" };
interface Vector {
  name: string;
  doc: unknown;
  patch: unknown[];
  expect: Expect;
}

function run(vectors: Vector[], mode: PatchMode) {
  for (const v of vectors) {
    // The wire schema first, as every route and RPC method does.
    const ops = PatchOpsSchema.parse(v.patch) as PatchOp[];
    const frozen = structuredClone(v.doc);
    if ("doc" in v.expect) {
      assert.deepEqual(applyPatch(v.doc, ops, mode), v.expect.doc, v.name);
    } else {
      assert.equal(kindOf(() => applyPatch(v.doc, ops, mode)), v.expect.error, v.name);
    }
    assert.deepEqual(v.doc, frozen, `${v.name}: the input document was changed`);
  }
}

/** RFC 6902 appendix A, every example (A.13 is a JSON text with a duplicate member, see below). */
const APPENDIX_A: Vector[] = [
  {
    name: "A.1 adding an object member",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/baz", value: "qux" }],
    expect: { doc: { baz: "qux", foo: "bar" } },
  },
  {
    name: "A.2 adding an array element",
    doc: { foo: ["bar", "baz"] },
    patch: [{ op: "add", path: "/foo/1", value: "qux" }],
    expect: { doc: { foo: ["bar", "qux", "baz"] } },
  },
  {
    name: "A.3 removing an object member",
    doc: { baz: "qux", foo: "bar" },
    patch: [{ op: "remove", path: "/baz" }],
    expect: { doc: { foo: "bar" } },
  },
  {
    name: "A.4 removing an array element",
    doc: { foo: ["bar", "qux", "baz"] },
    patch: [{ op: "remove", path: "/foo/1" }],
    expect: { doc: { foo: ["bar", "baz"] } },
  },
  {
    name: "A.5 replacing a value",
    doc: { baz: "qux", foo: "bar" },
    patch: [{ op: "replace", path: "/baz", value: "boo" }],
    expect: { doc: { baz: "boo", foo: "bar" } },
  },
  {
    name: "A.6 moving a value",
    doc: { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
    patch: [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
    expect: { doc: { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } } },
  },
  {
    name: "A.7 moving an array element",
    doc: { foo: ["all", "grass", "cows", "eat"] },
    patch: [{ op: "move", from: "/foo/1", path: "/foo/3" }],
    expect: { doc: { foo: ["all", "cows", "eat", "grass"] } },
  },
  {
    name: "A.8 testing a value: success",
    doc: { baz: "qux", foo: ["a", 2, "c"] },
    patch: [{ op: "test", path: "/baz", value: "qux" }, { op: "test", path: "/foo/1", value: 2 }],
    expect: { doc: { baz: "qux", foo: ["a", 2, "c"] } },
  },
  {
    name: "A.9 testing a value: error",
    doc: { baz: "qux" },
    patch: [{ op: "test", path: "/baz", value: "bar" }],
    expect: { error: "conflict" },
  },
  {
    name: "A.10 adding a nested member object",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/child", value: { grandchild: {} } }],
    expect: { doc: { foo: "bar", child: { grandchild: {} } } },
  },
  {
    name: "A.11 ignoring unrecognized elements",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/baz", value: "qux", xyz: 123 }],
    expect: { doc: { foo: "bar", baz: "qux" } },
  },
  {
    name: "A.12 adding to a nonexistent target",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/baz/bat", value: "qux" }],
    expect: { error: "conflict" },
  },
  {
    name: "A.14 ~ escape ordering",
    doc: { "/": 9, "~1": 10 },
    patch: [{ op: "test", path: "/~01", value: 10 }],
    expect: { doc: { "/": 9, "~1": 10 } },
  },
  {
    name: "A.15 comparing strings and numbers",
    doc: { "/": 9, "~1": 10 },
    patch: [{ op: "test", path: "/~01", value: "10" }],
    expect: { error: "conflict" },
  },
  {
    name: "A.16 adding an array value",
    doc: { foo: ["bar"] },
    patch: [{ op: "add", path: "/foo/-", value: ["abc", "def"] }],
    expect: { doc: { foo: ["bar", ["abc", "def"]] } },
  },
];

/** Further cases in the spirit of json-patch-tests; the must-fail ones are those a lax engine lets through. */
const MORE_STRICT: Vector[] = [
  {
    name: "replacing the root with add",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "", value: { baz: "qux" } }],
    expect: { doc: { baz: "qux" } },
  },
  {
    name: "keys are case-sensitive",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/FOO", value: "BAR" }],
    expect: { doc: { foo: "bar", FOO: "BAR" } },
  },
  {
    name: "numeric-looking object keys are plain keys",
    doc: { "1e0": "foo" },
    patch: [{ op: "test", path: "/1e0", value: "foo" }],
    expect: { doc: { "1e0": "foo" } },
  },
  {
    name: "the empty key",
    doc: { "": 1 },
    patch: [{ op: "replace", path: "/", value: 2 }],
    expect: { doc: { "": 2 } },
  },
  {
    name: "null values are values",
    doc: { foo: null },
    patch: [{ op: "test", path: "/foo", value: null }, { op: "replace", path: "/foo", value: "x" }],
    expect: { doc: { foo: "x" } },
  },
  {
    name: "test compares objects ignoring key order",
    doc: { foo: { a: 1, b: [1, { c: 2, d: 3 }] } },
    patch: [{ op: "test", path: "/foo", value: { b: [1, { d: 3, c: 2 }], a: 1 } }],
    expect: { doc: { foo: { a: 1, b: [1, { c: 2, d: 3 }] } } },
  },
  {
    name: "test fails on a different array",
    doc: { foo: { bar: [1, 2, 5, 4] } },
    patch: [{ op: "test", path: "/foo", value: { bar: [1, 2] } }],
    expect: { error: "conflict" },
  },
  {
    name: "copy a value",
    doc: { foo: { a: [1] } },
    patch: [{ op: "copy", from: "/foo/a", path: "/bar" }, { op: "add", path: "/bar/-", value: 2 }],
    expect: { doc: { foo: { a: [1] }, bar: [1, 2] } },
  },
  {
    name: "must fail: add past the end of an array",
    doc: { foo: ["bar"] },
    patch: [{ op: "add", path: "/foo/2", value: "x" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: add at a negative index",
    doc: { foo: ["bar"] },
    patch: [{ op: "add", path: "/foo/-1", value: "x" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: replace past the end of an array",
    doc: { foo: ["bar"] },
    patch: [{ op: "replace", path: "/foo/1", value: "x" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: remove a missing member",
    doc: { foo: "bar" },
    patch: [{ op: "remove", path: "/baz" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: remove a missing array element",
    doc: { foo: ["bar"] },
    patch: [{ op: "remove", path: "/foo/1" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: replace a missing member",
    doc: { foo: "bar" },
    patch: [{ op: "replace", path: "/baz", value: 1 }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: move from a missing member",
    doc: { foo: "bar" },
    patch: [{ op: "move", from: "/baz", path: "/qux" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: an index that is not a number",
    doc: { foo: ["bar"] },
    patch: [{ op: "add", path: "/foo/1e0", value: "x" }],
    expect: { error: "conflict" },
  },
  {
    name: "must fail: add without a value",
    doc: { foo: 1 },
    patch: [{ op: "add", path: "/bar" }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: replace without a value",
    doc: { foo: 1 },
    patch: [{ op: "replace", path: "/foo" }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: test without a value",
    doc: { foo: 1 },
    patch: [{ op: "test", path: "/foo" }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: a pointer without a leading slash",
    doc: { foo: 1 },
    patch: [{ op: "replace", path: "foo", value: 2 }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: a bad escape",
    doc: { foo: 1 },
    patch: [{ op: "add", path: "/foo~2", value: 2 }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: a leading-zero index",
    doc: { foo: [1, 2] },
    patch: [{ op: "replace", path: "/foo/01", value: 3 }],
    expect: { error: "invalid" },
  },
  {
    name: "must fail: a later op fails, nothing of the earlier ones is visible",
    doc: { foo: 1 },
    patch: [{ op: "replace", path: "/foo", value: 2 }, { op: "test", path: "/foo", value: 1 }],
    expect: { error: "conflict" },
  },
];

Deno.test("RFC 6902 appendix A in strict mode", () => run(APPENDIX_A, "strict"));

Deno.test("A.13: a member given twice is not a patch the engine ever sees", () => {
  // JSON.parse keeps the last duplicate, so the ambiguity of A.13 cannot reach the engine as the RFC
  // shows it; what reaches it is a `remove` of a missing member, which fails.
  const [op] = JSON.parse('[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]');
  assert.equal(op.op, "remove");
  assert.equal(kindOf(() => applyPatch({ foo: "bar" }, PatchOpsSchema.parse([op]), "strict")), "conflict");
});

Deno.test("further strict cases (json-patch-tests style)", () => run(MORE_STRICT, "strict"));

Deno.test("the wire schema refuses what is not an op list", () => {
  for (
    const bad of [
      {},
      "ops",
      [{ op: "merge", path: "/a" }],
      [{ path: "/a", value: 1 }],
      [{ op: "add", value: 1 }],
      [{ op: "add", path: 5, value: 1 }],
      [{ op: "move", path: "/a", from: 5 }],
      [null],
    ]
  ) {
    assert.equal(PatchOpsSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

Deno.test("lenient mode for object documents", async (t) => {
  await t.step("appendix A behaves as in strict mode, except move and A.12", () => {
    const same = APPENDIX_A.filter((v) => !/A\.(6|7|12)\b/.test(v.name));
    run(same, "lenient");
    run([
      { ...APPENDIX_A.find((v) => v.name.startsWith("A.6"))!, expect: { error: "invalid" } },
      { ...APPENDIX_A.find((v) => v.name.startsWith("A.7"))!, expect: { error: "invalid" } },
      {
        ...APPENDIX_A.find((v) => v.name.startsWith("A.12"))!,
        expect: { doc: { foo: "bar", baz: { bat: "qux" } } },
      },
    ], "lenient");
  });

  await t.step("add creates parents, replace of a missing key sets it", () => {
    run([
      {
        name: "deep add",
        doc: {},
        patch: [{ op: "add", path: "/a/b/c", value: 1 }],
        expect: { doc: { a: { b: { c: 1 } } } },
      },
      {
        name: "replace missing",
        doc: { a: 1 },
        patch: [{ op: "replace", path: "/b/c", value: 2 }],
        expect: { doc: { a: 1, b: { c: 2 } } },
      },
      {
        name: "remove of a missing key under an existing parent is a no-op",
        doc: { a: {} },
        patch: [{ op: "remove", path: "/a/nope" }],
        expect: { doc: { a: {} } },
      },
      {
        name: "root remove empties the document",
        doc: { a: 1 },
        patch: [{ op: "remove", path: "" }],
        expect: { doc: {} },
      },
      {
        name: "arrays keep RFC indexes",
        doc: { l: [1, 3] },
        patch: [
          { op: "add", path: "/l/1", value: 2 },
          { op: "add", path: "/l/-", value: 4 },
          { op: "replace", path: "/l/0", value: 0 },
          { op: "remove", path: "/l/3" },
          { op: "test", path: "/l", value: [0, 2, 3] },
        ],
        expect: { doc: { l: [0, 2, 3] } },
      },
    ], "lenient");
  });

  await t.step(
    "conflicts: remove under a missing parent, failed test, bad array index, non-container",
    () => {
      run([
        {
          name: "remove under missing",
          doc: {},
          patch: [{ op: "remove", path: "/a/b" }],
          expect: { error: "conflict" },
        },
        {
          name: "test missing",
          doc: {},
          patch: [{ op: "test", path: "/a", value: null }],
          expect: { error: "conflict" },
        },
        {
          name: "test under missing",
          doc: {},
          patch: [{ op: "test", path: "/a/b", value: 1 }],
          expect: { error: "conflict" },
        },
        {
          name: "index past end",
          doc: { l: [1] },
          patch: [{ op: "replace", path: "/l/1", value: 2 }],
          expect: { error: "conflict" },
        },
        {
          name: "add past end",
          doc: { l: [1] },
          patch: [{ op: "add", path: "/l/2", value: 2 }],
          expect: { error: "conflict" },
        },
        {
          name: "'-' only for add",
          doc: { l: [1] },
          patch: [{ op: "remove", path: "/l/-" }],
          expect: { error: "conflict" },
        },
        {
          name: "not an index",
          doc: { l: [1] },
          patch: [{ op: "add", path: "/l/x", value: 2 }],
          expect: { error: "conflict" },
        },
        {
          name: "cannot create inside an array",
          doc: { l: [] },
          patch: [{ op: "add", path: "/l/0/x", value: 2 }],
          expect: { error: "conflict" },
        },
        {
          name: "scalar parent",
          doc: { a: 1 },
          patch: [{ op: "add", path: "/a/b", value: 2 }],
          expect: { error: "conflict" },
        },
      ], "lenient");
    },
  );

  await t.step("bad input: unsupported ops, leading zeros, forbidden segments", () => {
    for (
      const op of [
        { op: "move", from: "/a", path: "/b" },
        { op: "copy", from: "/a", path: "/b" },
        { op: "add", path: "/l/01", value: 1 },
        { op: "add", path: "/__proto__/x", value: 1 },
        { op: "add", path: "/a/constructor/prototype/x", value: 1 },
        { op: "add", path: "/prototype", value: 1 },
      ] as PatchOp[]
    ) {
      assert.equal(
        kindOf(() => applyPatch({ a: {}, l: [1, 2] }, [op], "lenient")),
        "invalid",
        JSON.stringify(op),
      );
    }
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  await t.step("a failing op leaves the input untouched and returns nothing half-done", () => {
    const doc = { a: { n: 1 } };
    assert.throws(() =>
      applyPatch(doc, [
        { op: "replace", path: "/a/n", value: 2 },
        { op: "add", path: "/a/m", value: 3 },
        { op: "remove", path: "/missing/x" },
      ], "lenient")
    );
    assert.deepEqual(doc, { a: { n: 1 } });
  });
});

Deno.test("pointers: escapes, leading zeros, forbidden segments", async (t) => {
  await t.step("parsePointer unescapes ~1 then ~0", () => {
    assert.deepEqual(parsePointer(""), []);
    assert.deepEqual(parsePointer("/"), [""]);
    assert.deepEqual(parsePointer("/a~1b/c~0d/~01"), ["a/b", "c~d", "~1"]);
    assert.equal(escapeSegment("a/b~c"), "a~1b~0c");
    assert.deepEqual(parsePointer("/" + escapeSegment("x/~y")), ["x/~y"]);
  });

  await t.step(
    "forbidden segments are refused in strict and lenient mode, also in `from` and escaped",
    () => {
      for (const segment of ["__proto__", "prototype", "constructor"]) {
        assert.throws(() => parsePointer(`/a/${segment}`), /not allowed/);
        for (const mode of ["strict", "lenient"] as const) {
          assert.equal(
            kindOf(() => applyPatch({}, [{ op: "add", path: `/${segment}`, value: 1 }], mode)),
            "invalid",
          );
          assert.equal(
            kindOf(() => applyPatch({ a: {} }, [{ op: "test", path: `/a/${segment}`, value: 1 }], mode)),
            "invalid",
          );
        }
        assert.equal(
          kindOf(() => applyPatch({ a: {} }, [{ op: "copy", from: `/a/${segment}`, path: "/b" }], "strict")),
          "invalid",
        );
      }
      // Lookalikes are ordinary keys.
      assert.deepEqual(
        applyPatch({}, [{ op: "add", path: "/__proto", value: 1 }, {
          op: "add",
          path: "/Constructor",
          value: 2,
        }], "strict"),
        { __proto: 1, Constructor: 2 },
      );
      assert.equal(
        Object.getPrototypeOf(applyPatch({}, [{ op: "add", path: "/x", value: {} }], "strict")),
        Object.prototype,
      );
    },
  );

  await t.step("leading-zero indexes are refused; 0 itself is fine", () => {
    for (const path of ["/l/01", "/l/00", "/l/007"]) {
      for (const mode of ["strict", "lenient"] as const) {
        assert.equal(
          kindOf(() => applyPatch({ l: [1, 2] }, [{ op: "replace", path, value: 0 }], mode)),
          "invalid",
        );
      }
    }
    assert.deepEqual(applyPatch({ l: [1, 2] }, [{ op: "replace", path: "/l/0", value: 0 }], "strict"), {
      l: [0, 2],
    });
  });
});

Deno.test("deepEqual ignores key order and nothing else", () => {
  assert.ok(deepEqual({ a: 1, b: [1, { c: 2, d: null }] }, { b: [1, { d: null, c: 2 }], a: 1 }));
  assert.ok(!deepEqual([1, 2], [2, 1]));
  assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!deepEqual({ a: 1 }, [1]));
  assert.ok(!deepEqual(null, {}));
  assert.ok(!deepEqual("1", 1));
  assert.ok(!deepEqual({ a: [] }, { a: {} }));
});
