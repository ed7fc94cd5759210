import assert from "node:assert/strict";
import { LodgeError, type LodgeErrorKind } from "../../core/errors.ts";
import { ErrorCode, fromLodgeError, RpcError } from "../../rpc/errors.ts";
import { exceedsBytes, exceedsDepth, parseFrame } from "../../rpc/frame.ts";

Deno.test("every LodgeError kind maps to its JSON-RPC code, keeping data and adding the kind", () => {
  const expected: Record<LodgeErrorKind, number> = {
    invalid: -32602,
    not_found: -32001,
    conflict: -32000,
    integrity: -32000,
    forbidden: -32002,
    timeout: -32003,
    crashed: -32004,
    unavailable: -32005,
  };
  for (const [kind, code] of Object.entries(expected) as [LodgeErrorKind, number][]) {
    const error = fromLodgeError(new LodgeError(kind, `${kind} happened`, { current_integrity: "x" }));
    assert.deepEqual(error.toJSON(), {
      code,
      message: `${kind} happened`,
      data: { current_integrity: "x", kind },
    });
  }
});

Deno.test("RpcError round-trips through its wire form", () => {
  const error = new RpcError(ErrorCode.LIMIT_EXCEEDED, "too big", { limit: "depth", max: 3 });
  const back = RpcError.fromObject(JSON.parse(JSON.stringify(error)));
  assert.equal(back.code, -32006);
  assert.equal(back.message, "too big");
  assert.deepEqual(back.data, { limit: "depth", max: 3 });
  // without data there is no data member, as in the specification's examples
  assert.deepEqual(JSON.parse(JSON.stringify(new RpcError(-32601, "Method not found"))), {
    code: -32601,
    message: "Method not found",
  });
});

Deno.test("a malformed error object from the other side becomes an internal error", () => {
  for (
    const value of [null, "boom", [], { code: "1", message: "x" }, { code: 1.5, message: "x" }, { code: 1 }]
  ) {
    const error = RpcError.fromObject(value);
    assert.equal(error.code, ErrorCode.INTERNAL_ERROR);
    assert.deepEqual(error.data, { received: value });
  }
});

Deno.test("frame size is measured in UTF-8 bytes", () => {
  assert.equal(exceedsBytes("a".repeat(10), 10), false);
  assert.equal(exceedsBytes("a".repeat(11), 10), true);
  assert.equal(exceedsBytes("é".repeat(5), 10), false); // 2 bytes each
  assert.equal(exceedsBytes("é".repeat(6), 10), true);
  assert.equal(exceedsBytes("€".repeat(4), 11), true); // 3 bytes each
  assert.equal(exceedsBytes("😀".repeat(2), 8), false); // a surrogate pair is 4 bytes
  assert.equal(exceedsBytes("😀".repeat(3), 11), true);
});

Deno.test("nesting depth ignores brackets inside strings, including after escaped quotes", () => {
  assert.equal(exceedsDepth(`[[["]]]]]]"]]]`, 3), false);
  assert.equal(exceedsDepth(`[[[[]]]]`, 3), true);
  assert.equal(exceedsDepth(`{"a\\"[[[[": [1]}`, 2), false);
  assert.equal(exceedsDepth(`{"a\\\\": [[[1]]]}`, 3), true); // an escaped backslash ends the escape
});

Deno.test("parseFrame reports each failure with its error", () => {
  const limits = { maxFrameBytes: 100, maxDepth: 4 };
  assert.deepEqual(parseFrame(`{"a":[1]}`, limits), { ok: true, value: { a: [1] } });
  const bad = (text: string) => {
    const parsed = parseFrame(text, limits);
    assert.equal(parsed.ok, false);
    return parsed.ok ? null : parsed.error.toJSON();
  };
  assert.deepEqual(bad("{"), { code: -32700, message: "Parse error" });
  assert.equal(bad("x".repeat(101))?.code, -32006);
  assert.equal(bad("[[[[[1]]]]]")?.code, -32006);
});
