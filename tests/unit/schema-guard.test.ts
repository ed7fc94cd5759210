/**
 * The guards derived from zod schemas answer as the schemas do: the message schema on a table of good
 * and bad messages and on random variations of real ones, and each node kind on its own.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import { deriveGuard } from "../../core/schema/guard.ts";
import { ChatMessageSchema, checkMessage } from "../../core/schema/mod.ts";
import { LodgeError } from "../../core/errors.ts";
import { stChatLines } from "../support/st-fixtures.ts";

const isMessage = deriveGuard(ChatMessageSchema);

function agrees(schema: z.ZodType, guard: (v: unknown) => boolean, value: unknown, label: string): boolean {
  const expected = schema.safeParse(value).success;
  assert.equal(guard(value), expected, `${label}: ${JSON.stringify(value)} (zod says ${expected})`);
  return expected;
}

const good: unknown[] = [
  {},
  { mes: "Hi" },
  { name: "Alice", is_user: false, is_system: false, send_date: "May 1, 2024 10:00am", mes: "Hi" },
  { mes: "a", swipes: ["a", "b"], swipe_id: 1, swipe_info: [{}, { extra: {} }] },
  { mes: "a", swipes: [], swipe_id: 5 }, // no swipes to index: SillyTavern writes this for a fresh message
  { send_date: 1714550000000, gen_started: null, gen_finished: "2024-05-01T10:00:00.000Z" },
  { extra: { api: "openai", tool_invocations: [{ name: "f" }] }, unknown_field: { deep: [1, 2] } },
  { is_name: true, force_avatar: "a.png", original_avatar: "b.png", title: "" },
  { extra: { constructor: "not a function" } },
  { mes: "x", variedKeys: null, swipe_id: 0 },
];

const bad: unknown[] = [
  null,
  "a message",
  [],
  42,
  { mes: 12345 },
  { name: null },
  { is_user: "true" },
  { send_date: true },
  { send_date: Number.NaN },
  { swipes: "a" },
  { swipes: ["a", 2] },
  { swipe_id: -1 },
  { swipe_id: 1.5 },
  { swipe_id: "0" },
  { swipe_id: Infinity },
  { mes: "a", swipes: ["a"], swipe_id: 1 },
  { swipe_info: {} },
  { extra: [] },
  { extra: "x" },
  { extra: null },
  { gen_started: {} },
  { title: 1 },
  { force_avatar: false },
];

Deno.test("the derived message guard agrees with ChatMessageSchema on good and bad messages", () => {
  for (const value of good) assert.ok(agrees(ChatMessageSchema, isMessage, value, "good"));
  for (const value of bad) assert.equal(agrees(ChatMessageSchema, isMessage, value, "bad"), false);
});

Deno.test("the derived message guard agrees with ChatMessageSchema on random variations of real messages", () => {
  // A seeded generator, so a failure names a case that comes back.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const values = ["", "text", 0, 1, -1, 2.5, true, false, null, [], ["a"], ["a", 1], {}, { a: 1 }, 1e308];
  const keys = [
    "name",
    "mes",
    "is_user",
    "is_system",
    "is_name",
    "send_date",
    "swipes",
    "swipe_id",
    "swipe_info",
    "extra",
    "force_avatar",
    "original_avatar",
    "title",
    "gen_started",
    "gen_finished",
    "other",
  ];
  const real = stChatLines("Alice", 8).slice(1);
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const message: Record<string, unknown> = structuredClone(pick(real));
    for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) {
      const key = pick(keys);
      if (random() < 0.2) delete message[key];
      else message[key] = structuredClone(pick(values));
    }
    if (agrees(ChatMessageSchema, isMessage, message, `case ${i}`)) valid++;
  }
  assert.ok(valid > 100 && valid < 2900, `both answers occur (${valid} valid)`);
});

Deno.test("derived guards of each node kind agree with zod", () => {
  const cases: [z.ZodType, unknown[]][] = [
    [z.string(), ["a", "", 1, null, undefined]],
    [z.string().max(2), ["ab", "abc", 1]],
    [z.email(), ["a@b.example", "nope"]],
    [z.number(), [0, -1, 1.5, Infinity, Number.NaN, "1"]],
    [z.number().int().min(0).max(3), [0, 3, 4, -1, 1.5]],
    [z.coerce.number(), ["1", 1, "x"]],
    [z.boolean(), [true, false, 0, "true"]],
    [z.null(), [null, undefined, 0]],
    [z.string().nullable(), [null, "a", 1]],
    [z.string().optional(), [undefined, "a", 1]],
    [z.union([z.string(), z.number()]), ["a", 1, true]],
    [z.array(z.number()).min(1), [[1], [], ["a"], [1, "a"], "a"]],
    [z.record(z.string(), z.number()), [{ a: 1 }, { a: "x" }, [], null, {}]],
    [z.record(z.string(), z.unknown()), [{ a: 1 }, [], null]],
    [z.object({ a: z.string() }), [{ a: "x" }, { a: "x", b: 1 }, {}, { a: 1 }, []]],
    [z.strictObject({ a: z.string() }), [{ a: "x" }, { a: "x", b: 1 }]],
    [z.looseObject({ a: z.number().optional() }), [{}, { b: 1 }, { a: "x" }]],
    [z.object({ a: z.unknown() }), [{}, { a: 1 }]],
    [z.enum(["a", "b"]), ["a", "c"]],
    [z.object({ n: z.number() }).refine((o) => o.n > 1), [{ n: 2 }, { n: 1 }, { n: "x" }]],
  ];
  for (const [schema, values] of cases) {
    const guard = deriveGuard(schema);
    for (const value of values) agrees(schema, guard, value, schema._zod.def.type);
  }
});

Deno.test("checkMessage returns the message itself when it passes and zod's issue when it does not", () => {
  const message = { mes: "Hi", swipes: ["Hi"], swipe_id: 0, extra: { a: [1] } };
  assert.equal(checkMessage(message, { what: "message 0" }), message);
  assert.throws(
    () => checkMessage({ mes: "a", swipes: ["a"], swipe_id: 3 }, { what: "message 2" }),
    (error) =>
      error instanceof LodgeError && error.kind === "invalid" && /message 2 \/swipe_id/.test(error.message),
  );
  assert.throws(
    () => checkMessage({ mes: 1 }, { what: "message 1" }),
    (error) => error instanceof LodgeError && /message 1 \/mes/.test(error.message),
  );
  assert.throws(
    () => checkMessage({ mes: "a", extra: { n: Infinity } }, { what: "message 4" }),
    (error) =>
      error instanceof LodgeError && /message 4 \/extra\/n: number is not finite/.test(error.message),
  );
});
