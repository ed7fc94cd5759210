import assert from "node:assert/strict";
import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { createDispatcher, type DispatcherOptions } from "../../rpc/dispatcher.ts";
import { type Caller, defineMethod } from "../../rpc/method.ts";
import { specExamples } from "../support/jsonrpc-spec-examples.ts";
import { createTestMethods } from "../support/rpc-test-methods.ts";

const newLodge = () => new Lodge(openSqliteStore(":memory:"));
const client: Caller = { kind: "client", connectionId: "test" };
const plugin: Caller = { kind: "plugin", pluginId: "demo" };

function setup(options: DispatcherOptions = {}) {
  const test = createTestMethods();
  const logged: unknown[] = [];
  const dispatcher = createDispatcher(test.methods, newLodge(), {
    onInternalError: (error) => logged.push(error),
    ...options,
  });
  const send = async (frame: unknown, caller = client) => {
    const reply = await dispatcher.handle(typeof frame === "string" ? frame : JSON.stringify(frame), {
      caller,
    });
    return reply === null ? null : JSON.parse(reply);
  };
  return { dispatcher, test, logged, send };
}

const call = (method: string, params?: unknown, id: unknown = 1) =>
  params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id };

Deno.test("the JSON-RPC 2.0 specification's examples", async (t) => {
  const { send, test } = setup();
  for (const example of specExamples) {
    await t.step(example.name, async () => {
      assert.deepEqual(await send(example.request), example.response);
    });
  }
  // the notifications ran even though nothing was answered
  assert.deepEqual(test.notified, [["update", 1, 2, 3, 4, 5], ["notify_hello", 7], ["notify_hello", 7]]);
});

Deno.test("ids are echoed; an id that is not a string, number or null makes an invalid request", async () => {
  const { send } = setup();
  for (const id of ["abc", 0, -5, 1.5, null, ""]) {
    assert.deepEqual(await send(call("subtract", [3, 1], id)), { jsonrpc: "2.0", result: 2, id });
  }
  for (const id of [{}, [], true, [1]]) {
    assert.deepEqual(await send(call("subtract", [3, 1], id)), {
      jsonrpc: "2.0",
      error: { code: -32600, message: "Invalid Request" },
      id: null,
    });
  }
  // 1e400 parses to Infinity, which JSON cannot echo back
  assert.equal(
    (await send(`{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1e400}`)).error.code,
    -32600,
  );
});

Deno.test("malformed request objects are invalid requests, echoing a usable id", async () => {
  const { send } = setup();
  const invalid = (id: unknown) => ({
    jsonrpc: "2.0",
    error: { code: -32600, message: "Invalid Request" },
    id,
  });
  assert.deepEqual(await send({ jsonrpc: "1.0", method: "subtract", params: [1, 2], id: 4 }), invalid(4));
  assert.deepEqual(await send({ method: "subtract", params: [1, 2], id: 4 }), invalid(4));
  assert.deepEqual(await send({ jsonrpc: "2.0", method: "subtract", params: null, id: 4 }), invalid(4));
  assert.deepEqual(await send({ jsonrpc: "2.0", method: "subtract", params: 5, id: 4 }), invalid(4));
  assert.deepEqual(await send(`"hello"`), invalid(null));
  assert.deepEqual(await send(`null`), invalid(null));
});

Deno.test("method lookup never reaches inherited properties", async () => {
  const { send } = setup();
  for (
    const name of [
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "rpc",
      "subtract.call",
    ]
  ) {
    assert.deepEqual(await send(call(name, [])), {
      jsonrpc: "2.0",
      error: { code: -32601, message: "Method not found" },
      id: 1,
    });
  }
});

Deno.test("admin methods are refused to plugins and allowed to clients", async () => {
  const { send } = setup();
  assert.deepEqual(await send(call("admin.ping", []), plugin), {
    jsonrpc: "2.0",
    error: { code: -32002, message: "Forbidden", data: { method: "admin.ping", capability: "admin" } },
    id: 1,
  });
  assert.deepEqual(await send(call("admin.ping", []), client), { jsonrpc: "2.0", result: "pong", id: 1 });
  // refusal comes before params validation: a plugin learns nothing about the params
  assert.equal((await send(call("admin.ping", ["junk"]), plugin)).error.code, -32002);
});

Deno.test("invalid params carry the zod issue paths", async (t) => {
  const { send } = setup();
  await t.step("nested paths", async () => {
    const reply = await send(call("greet", [{ name: 1, tags: ["a", 2] }]));
    assert.equal(reply.error.code, -32602);
    assert.equal(reply.error.message, "Invalid params");
    assert.deepEqual(reply.error.data.issues.map((i: { path: unknown }) => i.path), [[0, "name"], [
      0,
      "tags",
      1,
    ]]);
  });
  await t.step("too many and too few", async () => {
    assert.equal((await send(call("subtract", [1, 2, 3]))).error.code, -32602);
    assert.equal((await send(call("subtract", [1]))).error.code, -32602);
    assert.equal((await send(call("subtract"))).error.code, -32602); // absent params are []
  });
  await t.step("optional trailing params may be left out", async () => {
    assert.equal((await send(call("greet", [{ name: "ann", tags: [] }]))).result, "hello ann");
    assert.equal(
      (await send(call("greet", [{ name: "ann", tags: [] }, { loud: true }]))).result,
      "HELLO ANN",
    );
  });
  await t.step(
    "a method taking no params: none or [] is a call, anything else the tuple's error",
    async () => {
      assert.deepEqual((await send(call("get_data"))).result, ["hello", 5]);
      assert.deepEqual((await send(call("get_data", []))).result, ["hello", 5]);
      const reply = await send(call("get_data", [1]));
      assert.equal(reply.error.code, -32602);
      assert.equal(reply.error.data.issues[0].code, "too_big");
      assert.equal((await send(call("get_data", { a: 1 }))).error.code, -32602);
    },
  );
  await t.step("by-name params are refused", async () => {
    const reply = await send(call("subtract", { minuend: 3, subtrahend: 1 }));
    assert.equal(reply.error.code, -32602);
    assert.deepEqual(reply.error.data.issues[0].path, []);
  });
});

Deno.test("an unexpected error is -32603 with nothing of the cause, and logged host-side", async () => {
  const { send, logged } = setup();
  const reply = await send(call("fail.internal", []));
  assert.deepEqual(reply, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: 1 });
  assert.equal(logged.length, 1);
  assert.match(String(logged[0]), /hunter2/);
  // a result JSON cannot carry is the host's fault too
  assert.deepEqual(await send(call("bigint", [])), {
    jsonrpc: "2.0",
    error: { code: -32603, message: "Internal error" },
    id: 1,
  });
  assert.equal(logged.length, 2);
  // a failing notification is logged and not answered
  assert.equal(await send({ jsonrpc: "2.0", method: "fail.internal" }), null);
  assert.equal(logged.length, 3);
});

Deno.test("domain errors map to application codes with their data", async () => {
  const { send } = setup();
  assert.deepEqual(await send(call("fail.integrity", [])), {
    jsonrpc: "2.0",
    error: { code: -32000, message: "chat changed", data: { current_integrity: "abc", kind: "integrity" } },
    id: 1,
  });
});

Deno.test("an undefined result is sent as null", async () => {
  const { send } = setup();
  assert.deepEqual(await send(call("nothing", [])), { jsonrpc: "2.0", result: null, id: 1 });
});

Deno.test("a batch runs in order", async () => {
  const { send, test } = setup();
  const reply = await send([
    { jsonrpc: "2.0", method: "notify_hello", params: [1] },
    { jsonrpc: "2.0", method: "notify_hello", params: [2], id: "a" },
    { jsonrpc: "2.0", method: "update", params: [3] },
  ]);
  assert.deepEqual(reply, [{ jsonrpc: "2.0", result: null, id: "a" }]);
  assert.deepEqual(test.notified, [["notify_hello", 1], ["notify_hello", 2], ["update", 3]]);
});

Deno.test("limits: frame size, batch length, nesting depth", async (t) => {
  const { send } = setup({ maxFrameBytes: 1000, maxBatchLength: 3, maxDepth: 8 });
  await t.step("frame size counts UTF-8 bytes", async () => {
    const fits = JSON.stringify(call("echo", ["é".repeat(400)])); // ~850 bytes
    assert.equal((await send(fits)).result, "é".repeat(400));
    assert.deepEqual(await send(JSON.stringify(call("echo", ["é".repeat(600)]))), {
      jsonrpc: "2.0",
      error: { code: -32006, message: "Frame too large", data: { limit: "frameBytes", max: 1000 } },
      id: null,
    });
  });
  await t.step("batch length", async () => {
    assert.equal(
      (await send([call("get_data", [], 1), call("get_data", [], 2), call("get_data", [], 3)])).length,
      3,
    );
    assert.deepEqual(await send(Array.from({ length: 4 }, (_, i) => call("get_data", [], i))), {
      jsonrpc: "2.0",
      error: { code: -32006, message: "Batch too long", data: { limit: "batchLength", max: 3 } },
      id: null,
    });
  });
  await t.step("nesting depth, brackets inside strings not counted", async () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.deepEqual(
      (await send(`{"jsonrpc":"2.0","method":"echo","params":[${nested(5)}],"id":1}`)).result,
      [[[[[]]]]],
    );
    assert.deepEqual(await send(`{"jsonrpc":"2.0","method":"echo","params":[${nested(7)}],"id":1}`), {
      jsonrpc: "2.0",
      error: { code: -32006, message: "Frame nested too deeply", data: { limit: "depth", max: 8 } },
      id: null,
    });
    const tricky = `{"jsonrpc":"2.0","method":"echo","params":["[[[[[[[[[[\\"[[[[{{{{"],"id":1}`;
    assert.equal((await send(tricky)).result, `[[[[[[[[[["[[[[{{{{`);
    // unclosed nesting is refused before JSON.parse sees it
    assert.equal((await send("[".repeat(100_000))).error.code, -32006);
  });
});

Deno.test("rpc.discover answers the OpenRPC document of the table", async () => {
  const { send, test } = setup();
  const { result } = await send(call("rpc.discover", []));
  assert.equal(result.openrpc, "1.3.2");
  assert.deepEqual(result.methods.map((m: { name: string }) => m.name), test.methods.map((m) => m.name));
  assert.equal(
    result.methods.find((m: { name: string }) => m.name === "admin.ping")["x-capability"],
    "admin",
  );
  // plugins may discover too
  assert.equal((await send(call("rpc.discover", []), plugin)).result.openrpc, "1.3.2");
});

Deno.test("a table with a duplicate or reserved name is refused at construction", () => {
  const method = (name: string) =>
    defineMethod({
      name,
      summary: "",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: () => null,
    });
  assert.throws(() => createDispatcher([method("a"), method("a")], newLodge()), /twice/);
  assert.throws(() => createDispatcher([method("rpc.mine")], newLodge()), /reserved/);
});

Deno.test("handle never rejects, whatever the frame", async () => {
  const { dispatcher } = setup();
  const frames = [
    "",
    " ",
    "\u0000",
    "\ud800",
    "{",
    "}",
    "[[]]",
    "1e999",
    '{"__proto__":{"method":"subtract"}}',
  ];
  for (const frame of frames) {
    const reply = await dispatcher.handle(frame, { caller: client });
    assert.ok(reply === null || typeof JSON.parse(reply) === "object");
  }
  assert.equal(({} as Record<string, unknown>).method, undefined);
});

Deno.test("synchronous methods run within handle; async schemas and handlers still validate and hold a slot", async (t) => {
  const ran: string[] = [];
  let release = () => {};
  const methods = [
    defineMethod({
      name: "sync",
      summary: "Synchronous schema and handler.",
      params: z.tuple([z.number()]),
      result: z.number(),
      capability: "plugin",
      handler: (_ctx, n) => {
        ran.push(`sync ${n}`);
        return n;
      },
    }),
    defineMethod({
      name: "sync.throws",
      summary: "Throws synchronously.",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: (): null => {
        throw new LodgeError("not_found", "gone");
      },
    }),
    defineMethod({
      name: "refined",
      summary: "An asynchronous refinement: validated with safeParseAsync.",
      params: z.tuple([z.string().refine(async (s) => (await Promise.resolve(s)).length > 2, "too short")]),
      result: z.string(),
      capability: "plugin",
      handler: (_ctx, s) => s.toUpperCase(),
    }),
    defineMethod({
      name: "slow",
      summary: "Resolves when the test releases it.",
      params: z.tuple([]),
      result: z.null(),
      capability: "plugin",
      handler: () => new Promise<null>((resolve) => release = () => resolve(null)),
    }),
  ];
  const dispatcher = createDispatcher(methods, newLodge(), { maxInflight: 1 });
  const peer = { notify() {}, request: () => Promise.resolve(null), onClose() {} };
  const send = async (frame: unknown) =>
    JSON.parse((await dispatcher.handle(JSON.stringify(frame), { caller: plugin, peer }))!);

  await t.step("a synchronous method has run when handle returns", async () => {
    const reply = dispatcher.handle(JSON.stringify(call("sync", [1])), { caller: plugin, peer });
    assert.deepEqual(ran, ["sync 1"]);
    assert.deepEqual(JSON.parse((await reply)!), { jsonrpc: "2.0", result: 1, id: 1 });
  });
  await t.step("an asynchronous refinement is still checked", async () => {
    assert.deepEqual(await send(call("refined", ["abc"])), { jsonrpc: "2.0", result: "ABC", id: 1 });
    const refused = await send(call("refined", ["ab"]));
    assert.equal(refused.error.code, -32602);
    assert.equal(refused.error.data.issues[0].message, "too short");
  });
  await t.step(
    "the in-flight slot is freed after sync results and sync throws, held by async ones",
    async () => {
      for (let i = 0; i < 3; i++) assert.equal((await send(call("sync", [i]))).result, i);
      assert.equal((await send(call("sync.throws", []))).error.code, -32001);
      assert.equal((await send(call("sync", [9]))).result, 9);
      const slow = send(call("slow", [], 2));
      assert.equal((await send(call("sync", [10]))).error.code, -32006);
      release();
      assert.deepEqual(await slow, { jsonrpc: "2.0", result: null, id: 2 });
      assert.equal((await send(call("sync", [11]))).result, 11);
    },
  );
});
