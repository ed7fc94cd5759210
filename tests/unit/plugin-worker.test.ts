/**
 * The in-worker parts that need no worker: the guarded diff of `updateState`, the context mirror,
 * the JSON-RPC channel, the Comlink endpoint that turns calls into JSON-RPC frames, and local parts laid
 * over the remote surface.
 */

import assert from "node:assert/strict";
import * as Comlink from "comlink";
import jsonpatch from "fast-json-patch";
import { Channel } from "../../plugins/worker/channel.ts";
import { RpcError } from "../../rpc/errors.ts";
import { CHAT_STATE, guardedDiff, MAX_DIFF_OPS, updateState } from "../../plugins/worker/state-update.ts";
import { callHost, createRpcEndpoint } from "../../plugins/worker/endpoint.ts";
import { Mirror } from "../../plugins/worker/mirror.ts";
import { cloneWithViews, READ_ONLY } from "../../plugins/worker/views.ts";
import { createRemoteSurface, overRemote } from "../../plugins/worker/remote.ts";

/** A channel whose host side is a function answering each request frame. */
function loopback(answer: (msg: { id?: number; method: string; params: unknown[] }) => unknown) {
  const sent: string[] = [];
  const channel: Channel = new Channel((frame) => {
    sent.push(frame);
    const msg = JSON.parse(frame);
    if (msg.id === undefined) return;
    queueMicrotask(() => {
      let reply: unknown;
      try {
        reply = { jsonrpc: "2.0", id: msg.id, result: answer(msg) };
      } catch (error) {
        const { code, message, data } = error as RpcError;
        reply = { jsonrpc: "2.0", id: msg.id, error: { code, message, data } };
      }
      channel.receive(JSON.stringify(reply));
    });
  });
  return { channel, sent };
}

Deno.test("guardedDiff guards every replace and remove with the old value", () => {
  const before = { a: 1, b: { c: [1, 2, 3] }, gone: true };
  const after = { a: 2, b: { c: [1, 2] }, added: "x" };
  const ops = guardedDiff(before, after);
  for (const [i, op] of ops.entries()) {
    if (op.op === "replace" || op.op === "remove") {
      const guard = ops[i - 1];
      assert.equal(guard.op, "test", `no guard before ${op.op} ${op.path}`);
      assert.equal(guard.path, op.path);
      assert.deepEqual((guard as { value: unknown }).value, jsonpatch.getValueByPointer(before, op.path));
    }
  }
  assert.deepEqual(jsonpatch.applyPatch(structuredClone(before), ops, true).newDocument, after);
  // a stale base fails its guard
  assert.throws(() => jsonpatch.applyPatch({ ...structuredClone(before), a: 5 }, ops, true));
});

Deno.test("guardedDiff falls back to one guarded root replace", () => {
  const before = Object.fromEntries(Array.from({ length: MAX_DIFF_OPS + 1 }, (_, i) => [`k${i}`, i]));
  const after = Object.fromEntries(Object.keys(before).map((k) => [k, -1]));
  assert.deepEqual(guardedDiff(before, after), [
    { op: "test", path: "", value: before },
    { op: "replace", path: "", value: after },
  ]);
  assert.equal(guardedDiff([1], { a: 1 }).length, 2);
});

Deno.test("updateState retries on conflict, reports bad updaters, skips null", async (t) => {
  let state: Record<string, unknown> | null = null;
  let conflicts = 2;
  const { channel, sent } = loopback(({ method, params }) => {
    if (method === "getChatState") return state;
    if (method === "patchChatState") {
      if (conflicts-- > 0) throw new RpcError(-32000, "test operation failed");
      state = jsonpatch.applyPatch(state ?? {}, params[1] as jsonpatch.Operation[], true).newDocument;
      return { ok: true, applied: 1, created: false };
    }
    throw new RpcError(-32601, "Method not found");
  });
  const fast = { attempts: 5, pause: () => 0 };
  await t.step("conflicts are retried on the freshest value", async () => {
    const seen: unknown[] = [];
    const result = await updateState(
      channel,
      CHAT_STATE,
      "ns",
      (current, info) => {
        seen.push([current, info.attempt]);
        return { n: ((current as { n?: number })?.n ?? 0) + 1 };
      },
      undefined,
      fast,
    );
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(state, { n: 1 });
    assert.deepEqual(seen, [[undefined, 0], [undefined, 1], [undefined, 2]]);
    // the first write of a namespace is guarded by a root test against {}
    const patch = JSON.parse(sent.findLast((f) => f.includes("patchChatState"))!).params[1];
    assert.deepEqual(patch[0], { op: "test", path: "", value: {} });
  });
  await t.step("null or undefined means no change; a throw is VALIDATION_ARGS", async () => {
    const before = sent.length;
    assert.deepEqual(await updateState(channel, CHAT_STATE, "ns", () => null, undefined, fast), { ok: true });
    assert.ok(!sent.slice(before).some((f) => f.includes("patchChatState")));
    const bad = await updateState(
      channel,
      CHAT_STATE,
      "ns",
      () => {
        throw new Error("nope");
      },
      undefined,
      fast,
    );
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.reason, "VALIDATION_ARGS");
    const fn = await updateState(channel, CHAT_STATE, "ns", () => ({ f: () => 1 }), undefined, fast);
    assert.equal(!fn.ok && fn.reason, "VALIDATION_ARGS");
  });
  await t.step("conflicts past the bound give CONFLICT", async () => {
    conflicts = 100;
    const result = await updateState(
      channel,
      CHAT_STATE,
      "ns",
      () => ({ n: 9 }),
      { target: undefined },
      fast,
    );
    assert.equal(!result.ok && result.reason, "CONFLICT");
  });
});

Deno.test("the mirror applies ops, refuses leading-zero indexes and asks for a resync once", () => {
  let stale = 0;
  const mirror = new Mirror({ chat: [{ mes: "a" }], chat_metadata: { "01": 1 } }, () => stale++);
  mirror.update({ ops: [{ op: "add", path: "/chat/-", value: { mes: "b" } }] });
  mirror.update({ ops: [{ op: "replace", path: "/chat_metadata/01", value: 2 }] }); // an object key, fine
  assert.equal(mirror.messageCount(), 2);
  assert.deepEqual(mirror.get("chat_metadata"), { "01": 2 });
  const message = mirror.message(1)!;
  assert.equal(message.mes, "b");
  assert.throws(() => (message as Record<string, unknown>).mes = "x", TypeError);
  assert.throws(() => delete (message as Record<string, unknown>).mes, TypeError);
  assert.equal(mirror.message(5), null);
  mirror.update({ ops: [{ op: "remove", path: "/chat/01" }] });
  assert.equal(stale, 0, "ops wait for the next read");
  assert.equal(mirror.messageCount(), 2); // the read applies them: they fail, the copy is as it was
  assert.equal(stale, 1);
  mirror.update({ ops: [{ op: "remove", path: "/chat/9" }] }); // skipped while stale: no second request
  mirror.get("chat");
  assert.equal(stale, 1);
  mirror.update({ snapshot: { chat: [] } });
  assert.equal(mirror.messageCount(), 0);
  mirror.update({ ops: [{ op: "remove", path: "/chat/0" }] });
  mirror.get("chat");
  assert.equal(stale, 2);
});

Deno.test("ops wait for a read, up to a bound: a burst costs one copy, a plugin that never reads holds few", () => {
  let stale = 0;
  const mirror = new Mirror({ chat: [{ mes: "" }] }, () => stale++);
  const first = mirror.get("chat");
  for (let i = 0; i < 999; i++) {
    mirror.update({ ops: [{ op: "replace", path: "/chat/0/mes", value: `${i}` }] });
  }
  mirror.update({ ops: [{ op: "remove", path: "/chat/5" }] }); // the thousandth op applies the batch
  assert.equal(stale, 1);
  assert.equal(mirror.get("chat"), first, "nothing of a failed batch is applied");
  mirror.update({ snapshot: { chat: [{ mes: "" }] } });
  for (let i = 0; i < 999; i++) {
    mirror.update({ ops: [{ op: "replace", path: "/chat/0/mes", value: `${i}` }] });
  }
  assert.deepEqual(mirror.get("chat"), [{ mes: "998" }]);
  assert.equal(stale, 1);
});

Deno.test("the mirror applies every op kind copy-on-write: shared where unchanged, frozen, all or nothing", () => {
  let stale = 0;
  const mirror = new Mirror({
    chat: [{ mes: "a", extra: { n: 1 } }, { mes: "b" }],
    chat_metadata: { x: { y: 1 } },
    characters: [{ name: "C" }],
  }, () => stale++);
  const before = mirror.get("chat") as Record<string, unknown>[];
  const characters = mirror.get("characters");
  mirror.update({
    ops: [
      { op: "add", path: "/chat/0/extra/m", value: { deep: [1] } },
      { op: "replace", path: "/chat/0/mes", value: "A" },
      { op: "copy", from: "/chat/0/extra", path: "/chat_metadata/copied" },
      { op: "move", from: "/chat_metadata/x", path: "/chat_metadata/moved" },
      { op: "test", path: "/chat/1/mes", value: "b" },
      { op: "remove", path: "/chat/0/extra/n" },
      { op: "add", path: "/chat/-", value: { mes: "c" } },
    ],
  });
  const chat = mirror.get("chat") as Record<string, unknown>[];
  assert.deepEqual(chat, [{ mes: "A", extra: { m: { deep: [1] } } }, { mes: "b" }, { mes: "c" }]);
  assert.deepEqual(mirror.get("chat_metadata"), { copied: { n: 1, m: { deep: [1] } }, moved: { y: 1 } });
  assert.equal(stale, 0);
  // the old copy is intact; what no op touched is the same object
  assert.deepEqual(before, [{ mes: "a", extra: { n: 1 } }, { mes: "b" }]);
  assert.equal(chat[1], before[1]);
  assert.equal(mirror.get("characters"), characters);
  const deep = (chat[0].extra as { m: { deep: number[] } }).m.deep;
  assert.ok(Object.isFrozen(chat) && Object.isFrozen(chat[2]) && Object.isFrozen(deep));
  // plugins see views: every write says what to call instead
  const viewed = mirror.view("chat") as { mes: string; extra: { m: { deep: number[] } } }[];
  assert.throws(() => viewed.push({ mes: "x" } as never), { name: "TypeError", message: READ_ONLY });
  assert.throws(() => viewed[0].extra.m.deep.push(2), { name: "TypeError", message: READ_ONLY });
  assert.deepEqual(viewed.map((m) => m.mes).concat("d"), ["A", "b", "c", "d"]); // results are ordinary arrays
  // a batch whose last op fails changes nothing and asks for a snapshot
  mirror.update({
    ops: [{ op: "replace", path: "/chat/1/mes", value: "B" }, { op: "remove", path: "/chat/7" }],
  });
  assert.equal((mirror.get("chat") as Record<string, unknown>[])[1].mes, "b");
  assert.equal(stale, 1);
});

Deno.test("the Comlink endpoint sends method calls as JSON-RPC and refuses everything else", async (t) => {
  const { channel, sent } = loopback(({ method, params }) => {
    if (method === "fail") throw new RpcError(-32001, "not here", { what: params[0] });
    return { method, params };
  });
  // what reaches the Comlink endpoint: plain calls skip it
  const posted: unknown[] = [];
  const endpoint = createRpcEndpoint(channel);
  const counted: Comlink.Endpoint = {
    ...endpoint,
    postMessage: (message, transfer) => {
      posted.push(message?.type);
      endpoint.postMessage(message, transfer);
    },
  };
  const remote = createRemoteSurface(Comlink.wrap(counted), [
    "echo",
    "fail",
    "presets.list",
  ], (method, args) => callHost(channel, method, args));
  const ctx = {
    echo: remote.get("echo"),
    presets: remote.get("presets"),
    fail: remote.get("fail"),
  } as Record<
    string,
    // deno-lint-ignore no-explicit-any
    any
  >;

  await t.step("calls become requests; trailing undefined arguments are dropped", async () => {
    assert.deepEqual(await ctx.echo(1, "two", undefined), { method: "echo", params: [1, "two"] });
    assert.deepEqual(await ctx.presets.list("openai"), { method: "presets.list", params: ["openai"] });
    const frame = JSON.parse(sent.at(-1)!);
    assert.equal(frame.jsonrpc, "2.0");
    assert.equal(typeof frame.id, "number");
  });
  await t.step("plain calls skip Comlink but send what the Comlink path sends", async () => {
    const comlink = Comlink.wrap<{ echo(...args: unknown[]): Promise<unknown> }>(createRpcEndpoint(channel));
    const args = [1, { two: [2, null] }, "three", undefined];
    const viaComlink = await comlink.echo(...args);
    const comlinkFrame = JSON.parse(sent.at(-1)!);
    const direct = await ctx.echo(...args);
    const directFrame = JSON.parse(sent.at(-1)!);
    assert.deepEqual(direct, viaComlink);
    assert.deepEqual({ ...directFrame, id: 0 }, { ...comlinkFrame, id: 0 });
    assert.notEqual(directFrame.id, comlinkFrame.id);
    assert.deepEqual(posted, [], "a plain call went through Comlink");
  });
  await t.step("errors keep code, message and data", async () => {
    const error = await ctx.fail("x").catch((e: unknown) => e);
    assert.equal(error.code, -32001);
    assert.equal(error.message, "not here");
    assert.deepEqual(error.data, { what: "x" });
  });
  await t.step("names outside the table are undefined; members are not thenable", async () => {
    assert.equal(remote.get("nope"), undefined);
    assert.equal(ctx.presets.nope, undefined);
    assert.equal(ctx.presets.then, undefined);
    assert.equal(await ctx.presets, ctx.presets);
    assert.throws(() => ctx.presets(), TypeError);
  });
  await t.step("functions and proxies are refused before anything is sent", async () => {
    const before = sent.length;
    const fnError = await ctx.echo({ f: () => 1 }).catch((e: unknown) => e);
    assert.equal(fnError.code, -32602);
    const proxyError = await ctx.echo(Comlink.proxy({ x: 1 })).catch((e: unknown) => e);
    assert.equal(proxyError.code, -32602);
    assert.deepEqual(posted, ["APPLY"], "a proxy argument goes through Comlink, whose endpoint refuses it");
    assert.equal(sent.length, before);
  });
  await t.step("raw GET, SET, CONSTRUCT and ENDPOINT messages are refused", async () => {
    const endpoint = createRpcEndpoint(channel);
    const replies: unknown[] = [];
    endpoint.addEventListener("message", (event) => replies.push((event as MessageEvent).data));
    const before = sent.length;
    for (const type of ["GET", "SET", "CONSTRUCT", "ENDPOINT"]) {
      endpoint.postMessage({ id: type, type, path: ["constructor", "constructor"], argumentList: [] });
    }
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(sent.length, before);
    assert.equal(replies.length, 4);
    for (const reply of replies as { type: string; value: { value: { code: number } } }[]) {
      assert.equal(reply.type, "HANDLER");
      assert.equal(reply.value.value.code, -32601);
    }
  });
});

Deno.test("local parts shadow the host's methods; the others stay reachable by dotted path", async () => {
  const { channel } = loopback(({ method, params }) => ({ method, params }));
  const remote = createRemoteSurface(Comlink.wrap(createRpcEndpoint(channel)), [
    "presets.list",
    "presets.save",
    "presets.state.get",
    "presets.state.update",
  ], (method, args) => callHost(channel, method, args));
  // deno-lint-ignore no-explicit-any
  const presets: any = overRemote(
    {
      list: () => "local list",
      state: overRemote({ update: () => "local update" }, remote, "presets.state"),
    },
    remote,
    "presets",
  );
  assert.equal(presets.list(), "local list");
  assert.equal(presets.state.update(), "local update");
  assert.deepEqual(await presets.save({ name: "a" }, {}), {
    method: "presets.save",
    params: [{ name: "a" }, {}],
  });
  assert.deepEqual(await presets.state.get("ns"), { method: "presets.state.get", params: ["ns"] });
  assert.equal(presets.nope, undefined);
  assert.equal(presets.then, undefined);
  assert.ok("save" in presets && "list" in presets && !("nope" in presets));
  assert.equal(
    remote.get("presets.state.get"),
    (remote.get("presets") as { state: { get: unknown } }).state.get,
  );
  assert.equal(remote.get("presets.state.nope"), undefined);
});

Deno.test("views refuse every kind of write at every depth, with the guiding error where the view decides", async (t) => {
  const mirror = new Mirror({
    chat: [{ mes: "a", swipes: ["a"], extra: { n: 1 } }, { mes: "b", swipes: ["b"], extra: {} }],
    characters: [{ name: "C", data: { extensions: { x: 1 } } }],
    groups: [{ id: "g", members: ["c.png"] }],
    chat_metadata: { seen: 1, nested: { x: 1 } },
  }, () => {});
  const ctx = {
    chat: mirror.view("chat"),
    characters: mirror.view("characters"),
    groups: mirror.view("groups"),
    chat_metadata: mirror.view("chat_metadata"),
    getMessage: (i: number) => mirror.message(i),
    // deno-lint-ignore no-explicit-any
  } as any;
  const empty = new Mirror({ chat: [] }, () => {}).view("chat") as unknown[];
  const attempts: Record<string, () => unknown> = {
    "chat[9] =": () => (ctx.chat[9] = {}),
    "chat.x =": () => (ctx.chat.x = 1),
    "chat.push": () => ctx.chat.push({}),
    "chat.splice": () => ctx.chat.splice(0, 1),
    "chat.sort": () => ctx.chat.sort(),
    "chat.reverse": () => ctx.chat.reverse(),
    "chat.fill": () => ctx.chat.fill(null),
    "chat.pop": () => ctx.chat.pop(),
    "chat.shift": () => ctx.chat.shift(),
    "chat.unshift": () => ctx.chat.unshift({}),
    "chat.copyWithin": () => ctx.chat.copyWithin(0, 1),
    "empty.sort (nothing to move)": () => empty.sort(),
    "empty.push()": () => empty.push(),
    "Array.prototype.push.call(chat)": () => Array.prototype.push.call(ctx.chat, {}),
    "chat[0].mes =": () => (ctx.chat[0].mes = "x"),
    "chat[0].new =": () => (ctx.chat[0].added = 1),
    "delete chat[0].mes": () => delete ctx.chat[0].mes,
    "chat[0].extra.x =": () => (ctx.chat[0].extra.x = 1),
    "chat[0].swipes.push": () => ctx.chat[0].swipes.push("x"),
    "defineProperty(chat[0])": () => Object.defineProperty(ctx.chat[0], "mes", { value: "x" }),
    "Object.assign(chat[0])": () => Object.assign(ctx.chat[0], { mes: "x" }),
    "Object.assign(chat[0].extra)": () => Object.assign(ctx.chat[0].extra, { y: 1 }),
    "getMessage(0).mes =": () => (ctx.getMessage(0).mes = "x"),
    "getMessage(0).extra.x =": () => (ctx.getMessage(0).extra.x = 1),
    "delete getMessage(0).extra": () => delete ctx.getMessage(0).extra,
    "getMessage(1).swipes.reverse": () => ctx.getMessage(1).swipes.reverse(),
    "for..of element write": () => {
      for (const m of ctx.chat) m.mes = "x";
    },
    "map callback write": () => ctx.chat.map((m: { mes: string }) => (m.mes = "x")),
    "characters.push": () => ctx.characters.push({}),
    "characters[0].name =": () => (ctx.characters[0].name = "x"),
    "characters[0].data.extensions.x =": () => (ctx.characters[0].data.extensions.x = 2),
    "groups[0].members.push": () => ctx.groups[0].members.push("d.png"),
    "delete groups[0].id": () => delete ctx.groups[0].id,
    "chat_metadata.x =": () => (ctx.chat_metadata.x = 1),
    "delete chat_metadata.seen": () => delete ctx.chat_metadata.seen,
    "chat_metadata.nested.y =": () => (ctx.chat_metadata.nested.y = 1),
    "defineProperty(chat_metadata)": () => Object.defineProperty(ctx.chat_metadata, "z", { value: 1 }),
    "Object.assign(chat_metadata)": () => Object.assign(ctx.chat_metadata, { z: 1 }),
    "reduce's array argument": () =>
      ctx.chat.reduce((_s: unknown, _m: unknown, _i: number, all: unknown[]) => all.pop(), 0),
  };
  // An array view is a frozen array (a proxy would make every `chat[i]` slow): the engine itself refuses
  // writes of its own elements and length, with its TypeError for a frozen array.
  const frozen: Record<string, () => unknown> = {
    "chat[0] =": () => (ctx.chat[0] = {}),
    "chat.length =": () => (ctx.chat.length = 0),
    "delete chat[0]": () => delete ctx.chat[0],
    "Array.prototype.sort.call(chat)": () => Array.prototype.sort.call(ctx.chat),
    "Array.prototype.pop.call(chat)": () => Array.prototype.pop.call(ctx.chat),
    "Array.prototype.splice.apply(chat)": () => Array.prototype.splice.apply(ctx.chat, [0, 1]),
    "Array.prototype.fill.call(chat)": () => Array.prototype.fill.call(ctx.chat, null),
    "defineProperty(chat)": () => Object.defineProperty(ctx.chat, "0", { value: {} }),
    "Object.assign(chat)": () => Object.assign(ctx.chat, [{}]),
    "setPrototypeOf(chat)": () => Object.setPrototypeOf(ctx.chat, null),
    "chat[0].swipes[0] =": () => (ctx.chat[0].swipes[0] = "x"),
    "chat[0].swipes.length =": () => (ctx.chat[0].swipes.length = 0),
    "characters[0] =": () => (ctx.characters[0] = {}),
    "delete groups[0]": () => delete ctx.groups[0],
    "forEach's array argument": () =>
      ctx.chat.forEach((_m: unknown, i: number, all: unknown[]) => (all[i] = 1)),
    "empty[0] =": () => (empty[0] = 1),
    "empty.length =": () => ((empty as unknown[]).length = 1),
  };
  const before = JSON.stringify([mirror.get("chat"), mirror.get("characters"), mirror.get("chat_metadata")]);
  for (const [name, attempt] of Object.entries(attempts)) {
    await t.step(name, () => assert.throws(attempt, { name: "TypeError", message: READ_ONLY }));
  }
  for (const [name, attempt] of Object.entries(frozen)) {
    await t.step(`${name} (frozen array)`, () => assert.throws(attempt, TypeError));
  }
  await t.step("Reflect's writes say false; Object.freeze and its kin leave a frozen array as it is", () => {
    assert.equal(Reflect.set(ctx.chat, 0, {}), false);
    assert.equal(Reflect.deleteProperty(ctx.chat, "length"), false);
    for (const fn of [Object.freeze, Object.seal, Object.preventExtensions]) {
      assert.equal(fn(ctx.chat), ctx.chat);
    }
    assert.ok(Object.isFrozen(ctx.chat) && Object.isFrozen(ctx.chat[0].swipes));
    assert.throws(() => Object.freeze(ctx.chat[0]), { name: "TypeError", message: READ_ONLY });
    assert.equal(ctx.chat.length, mirror.messageCount());
  });
  assert.equal(
    JSON.stringify([mirror.get("chat"), mirror.get("characters"), mirror.get("chat_metadata")]),
    before,
  );

  await t.step("reads work as on plain data", () => {
    assert.ok(Array.isArray(ctx.chat) && Array.isArray(ctx.chat[0].swipes) && ctx.chat instanceof Array);
    assert.equal(ctx.chat[0], ctx.getMessage(0), "one view per message");
    assert.deepEqual(JSON.parse(JSON.stringify(ctx.chat)), mirror.get("chat"));
    assert.deepEqual([...ctx.chat].map((m) => m.mes), ["a", "b"]);
    assert.deepEqual(Object.keys(ctx.chat[0]), ["mes", "swipes", "extra"]);
    assert.deepEqual({ ...ctx.chat_metadata.nested }, { x: 1 });
    assert.equal(ctx.chat.at(-1).mes, "b");
    assert.equal(ctx.chat.indexOf(ctx.chat[1]), 1);
    assert.ok(ctx.chat.includes(ctx.getMessage(0)));
    assert.deepEqual(ctx.chat.slice(1).map((m: { mes: string }) => m.mes), ["b"]);
    assert.equal(ctx.chat.filter((m: { mes: string }) => m.mes === "a")[0], ctx.chat[0]);
    assert.ok("mes" in ctx.chat[0] && Object.hasOwn(ctx.chat[0], "extra"));
    assert.match(Deno.inspect(ctx.chat[0]), /mes: "a"/);
    assert.match(Deno.inspect(ctx.chat), /^\[\s*\{ mes: "a"/);
    assert.equal(ctx.chat[Symbol.iterator], ctx.chat.values, "one iterator function, as on arrays");
    assert.deepEqual([...ctx.chat.entries()].map(([i, m]) => [i, m === ctx.chat[i]]), [[0, true], [1, true]]);
    assert.equal(ctx.chat.concat([1]).length, 3);
    assert.deepEqual(Object.getOwnPropertyDescriptor(ctx.chat, "0"), {
      value: ctx.chat[0],
      writable: false,
      enumerable: true,
      configurable: false,
    });
    assert.equal(Object.prototype.toString.call(ctx.chat), "[object Array]");
    assert.ok(ctx.chat instanceof Array, "an array view's methods are Array.prototype's");
    assert.equal(ctx.chat.reduce((n: number, m: { mes: string }) => n + m.mes.length, 0), 2);
    assert.throws(
      () => ctx.chat.map(undefined),
      (e: Error) => e instanceof TypeError && e.message !== READ_ONLY,
    );
  });

  await t.step("structuredClone gives ordinary, writable copies", () => {
    const clone = cloneWithViews(structuredClone);
    const copy = clone(ctx.chat) as { mes: string }[];
    copy[0].mes = "mine";
    copy.push({ mes: "c" });
    const wrapped = clone({ list: ctx.chat.slice(0, 1), meta: ctx.chat_metadata }) as {
      list: { mes: string }[];
      meta: { nested: { x: number } };
    };
    wrapped.list[0].mes = "also mine";
    wrapped.meta.nested.x = 2;
    assert.equal((mirror.get("chat") as { mes: string }[])[0].mes, "a");
    assert.throws(() => clone({ f: () => 1 }), { name: "DataCloneError" });
  });

  await t.step("a view of a message stays while it is unchanged, across copies", () => {
    const first = ctx.getMessage(0);
    mirror.update({ ops: [{ op: "replace", path: "/chat/1/mes", value: "B" }] });
    assert.equal(mirror.message(0), first);
    assert.equal((mirror.message(1) as { mes: string }).mes, "B");
    assert.notEqual(mirror.view("chat"), ctx.chat, "a changed chat is a new array");
    const second = mirror.message(1);
    mirror.update({ ops: [{ op: "add", path: "/chat/-", value: { mes: "c" } }] });
    assert.equal(mirror.message(1), second, "an append keeps the views before it");
    mirror.update({ ops: [{ op: "remove", path: "/chat/0" }] });
    assert.equal(mirror.message(0), second, "a message that moved keeps its view");
    assert.deepEqual((mirror.view("chat") as { mes: string }[]).map((m) => m.mes), ["B", "c"]);
    assert.equal(ctx.chat[0], first, "a view kept from before still shows the chat as it was");
  });

  await t.step("the walking methods hand their callbacks the elements' views", () => {
    const chat = mirror.view("chat") as { mes: string }[];
    assert.ok(chat.every((_m, i, all) => all[i] === chat[i] && all === chat));
    assert.deepEqual(chat.toSorted((a, b) => b.mes.localeCompare(a.mes)).map((m) => m.mes), ["c", "B"]);
  });

  await t.step("a new copy shows the unchanged messages' views, whichever way it is read", () => {
    const chat = mirror.view("chat") as { mes: string }[];
    const kept = chat.map((m) => m);
    mirror.update({ ops: [{ op: "replace", path: "/chat/0/mes", value: "B2" }] });
    const next = mirror.view("chat") as { mes: string }[];
    assert.equal(next.at(-1), kept.at(-1));
    assert.deepEqual(next.slice(-1), kept.slice(-1));
    assert.equal(next[1], kept[1]);
    assert.equal(next[0].mes, "B2");
    assert.deepEqual([...next].slice(1), kept.slice(1), "a walk takes the unchanged views by index");
  });
});
