/**
 * A small method table for RPC tests: the JSON-RPC 2.0 specification's example methods plus methods
 * that exercise capabilities, error mapping, in-flight limits and host-to-client calls.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { defineMethod } from "../../rpc/method.ts";

/** The table and what its methods record. */
export interface TestMethods {
  methods: ReturnType<typeof buildTable>;
  /** Params of every `notify_hello` and `update` call, in arrival order. */
  notified: unknown[][];
  /** Resolves every pending `block` call. */
  release(): void;
  /** How many `block` calls are waiting. */
  blocked(): number;
}

/** Builds a fresh table (each with its own records and gate). */
export function createTestMethods(): TestMethods {
  const notified: unknown[][] = [];
  let gate = Promise.withResolvers<void>();
  let waiting = 0;
  return {
    methods: buildTable(notified, async () => {
      waiting++;
      await gate.promise;
      waiting--;
    }),
    notified,
    release() {
      gate.resolve();
      gate = Promise.withResolvers<void>();
    },
    blocked: () => waiting,
  };
}

function buildTable(notified: unknown[][], wait: () => Promise<void>) {
  return [
    defineMethod({
      name: "subtract",
      summary: "minuend - subtrahend",
      params: z.tuple([z.number().meta({ title: "minuend" }), z.number().meta({ title: "subtrahend" })]),
      result: z.number(),
      capability: "plugin",
      handler: (_ctx, a, b) => a - b,
    }),
    defineMethod({
      name: "sum",
      summary: "Adds every argument.",
      params: z.tuple([z.number()], z.number()),
      result: z.number(),
      capability: "plugin",
      handler: (_ctx, ...values) => values.reduce((a, b) => a + b, 0),
    }),
    defineMethod({
      name: "notify_hello",
      summary: "Records its argument.",
      params: z.tuple([z.number()]),
      result: z.null(),
      capability: "plugin",
      handler: (_ctx, n) => {
        notified.push(["notify_hello", n]);
        return null;
      },
    }),
    defineMethod({
      name: "update",
      summary: "Records its arguments.",
      params: z.tuple([z.number()], z.number()),
      result: z.null(),
      capability: "plugin",
      handler: (_ctx, ...values) => {
        notified.push(["update", ...values]);
        return null;
      },
    }),
    defineMethod({
      name: "get_data",
      summary: "A constant.",
      params: z.tuple([]),
      result: z.tuple([z.string(), z.number()]),
      capability: "plugin",
      handler: (): [string, number] => ["hello", 5],
    }),
    defineMethod({
      name: "echo",
      summary: "Returns its argument.",
      params: z.tuple([z.unknown()]),
      result: z.unknown(),
      capability: "plugin",
      handler: (_ctx, value) => value,
    }),
    defineMethod({
      name: "greet",
      summary: "A nested object param with an optional trailing option.",
      params: z.tuple([
        z.object({ name: z.string(), tags: z.array(z.string()) }),
        z.object({ loud: z.boolean() }).optional(),
      ]),
      result: z.string(),
      capability: "plugin",
      handler: (
        _ctx,
        who,
        options,
      ) => (options?.loud ? `HELLO ${who.name.toUpperCase()}` : `hello ${who.name}`),
    }),
    defineMethod({
      name: "admin.ping",
      summary: "Admin only.",
      params: z.tuple([]),
      result: z.literal("pong"),
      capability: "admin",
      handler: () => "pong" as const,
    }),
    defineMethod({
      name: "fail.internal",
      summary: "Throws an unexpected error.",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: (): null => {
        throw new Error("db password is hunter2");
      },
    }),
    defineMethod({
      name: "fail.integrity",
      summary: "Throws a stale-integrity error.",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: (): null => {
        throw new LodgeError("integrity", "chat changed", { current_integrity: "abc" });
      },
    }),
    defineMethod({
      name: "nothing",
      summary: "Returns undefined.",
      params: z.tuple([]),
      result: z.undefined(),
      capability: "plugin",
      handler: () => undefined,
    }),
    defineMethod({
      name: "bigint",
      summary: "Returns a value JSON cannot carry.",
      params: z.tuple([]),
      result: z.bigint(),
      capability: "plugin",
      handler: () => 1n,
    }),
    defineMethod({
      name: "block",
      summary: "Waits until the test releases it.",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: async () => {
        await wait();
        return null;
      },
    }),
    defineMethod({
      name: "peer.ask",
      summary: "Asks the caller's connection `ask(question)` and returns its answer.",
      params: z.tuple([z.string(), z.number().optional()]),
      result: z.unknown(),
      capability: "plugin",
      handler: (ctx, question, timeoutMs) => {
        if (!ctx.peer) throw new LodgeError("unavailable", "no connection to ask");
        return ctx.peer.request("ask", { question }, { timeoutMs });
      },
    }),
  ];
}
