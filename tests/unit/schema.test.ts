import assert from "node:assert/strict";
import {
  assertOpsStorable,
  ChatMessageSchema,
  MAX_STORED_DEPTH,
  storableIssue,
  syncSwipes,
} from "../../core/schema/mod.ts";
import { kindOf } from "../support/asserts.ts";

const nest = (levels: number): unknown => levels === 0 ? 1 : { a: nest(levels - 1) };

Deno.test("storableIssue: finite numbers and the depth limit, with the path", () => {
  assert.equal(storableIssue({ a: [1, "x", null, true, { b: 2 }] }), null);
  assert.deepEqual(storableIssue({ a: [1, Infinity] }), { path: "/a/1", message: "number is not finite" });
  assert.deepEqual(storableIssue({ "x/y": NaN })?.path, "/x~1y");
  assert.equal(storableIssue(nest(MAX_STORED_DEPTH)), null);
  assert.match(storableIssue(nest(MAX_STORED_DEPTH + 1))!.message, /deeper than 64/);
  assert.equal(storableIssue(nest(10), MAX_STORED_DEPTH - 10), null, "depth counts from where it lands");
  assert.notEqual(storableIssue(nest(11), MAX_STORED_DEPTH - 10), null);
  assert.notEqual(storableIssue({ f: () => 1 }), null, "functions are not JSON");
});

Deno.test("assertOpsStorable checks each value at its path's depth", () => {
  const path = "/" + Array.from({ length: 60 }, () => "k").join("/");
  assert.doesNotThrow(() => assertOpsStorable([{ op: "add", path, value: nest(4) }], "settings"));
  assert.equal(kindOf(() => assertOpsStorable([{ op: "add", path, value: nest(5) }], "settings")), "invalid");
  assert.doesNotThrow(() => assertOpsStorable([{ op: "test", path, value: nest(50) }], "settings"));
});

Deno.test("ChatMessageSchema types SillyTavern's fields and keeps the rest", () => {
  assert.ok(ChatMessageSchema.safeParse({ mes: "a", custom: { any: [1] } }).success);
  assert.ok(ChatMessageSchema.safeParse({ send_date: 1733000000000 }).success);
  assert.ok(ChatMessageSchema.safeParse({ gen_started: null }).success);
  for (
    const bad of [
      { mes: 1 },
      { is_user: "yes" },
      { swipes: ["a"], swipe_id: 1 },
      { swipe_id: 0.5 },
      { swipe_id: -1 },
      { extra: [] },
      { swipe_info: {} },
      { title: 3 },
    ]
  ) assert.equal(ChatMessageSchema.safeParse(bad).success, false, JSON.stringify(bad));
});

Deno.test("syncSwipes: mes wins when it changed, the swipe wins on a swipe", () => {
  const stored = { mes: "a", swipes: ["a", "b"], swipe_id: 0 };
  assert.deepEqual(syncSwipes({ ...stored, mes: "edited" }, stored).swipes, ["edited", "b"]);
  assert.equal(syncSwipes({ ...stored, swipe_id: 1 }, stored).mes, "b");
  assert.equal(syncSwipes({ ...stored, swipe_id: 1 }, () => stored).mes, "b");
  assert.deepEqual(syncSwipes({ mes: "new", swipes: ["x"], swipe_id: 0 }, null).swipes, ["new"]);
  const same = { mes: "a", swipes: ["a"], swipe_id: 0 };
  assert.equal(syncSwipes(same, () => assert.fail("not read when consistent")), same);
  assert.equal(syncSwipes({ mes: "x" }, null).swipes, undefined);
});
