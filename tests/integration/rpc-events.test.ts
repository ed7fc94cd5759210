import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { createSocketClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { openRawSocket, type RawSocket } from "../support/raw-socket.ts";
import { fixtureMethods, type RpcFixture, startRpcFixture } from "../support/rpc-fixture.ts";

type Table = ReturnType<typeof fixtureMethods>;

const connect = (fx: RpcFixture, plugin?: string) =>
  createSocketClient<Table>(plugin ? `${fx.wsUrl}?plugin=${plugin}` : fx.wsUrl, { token: fx.token });

/** Runs `body` with a fresh fixture and closes everything it opened. */
async function withFixture(
  body: (fx: RpcFixture, track: <T extends { close(): Promise<void> }>(c: T) => T) => Promise<void>,
  options: { eventDeadlineMs?: number } = {},
) {
  const fx = await startRpcFixture(options);
  const opened: { close(): Promise<void> }[] = [];
  try {
    await body(fx, (c) => (opened.push(c), c));
  } finally {
    for (const c of opened) await c.close();
    await fx.close();
  }
}

/** Sends a request on a raw socket and returns its answer, skipping nothing (the caller expects no events). */
async function rawCall(ws: RawSocket, method: string, params: unknown[], id: number | string) {
  ws.send({ jsonrpc: "2.0", method, params, id });
  return await ws.next() as { result?: unknown; error?: { code: number; message: string } };
}

Deno.test("priority orders awaited socket listeners across connections; emit waits for all", async () => {
  await withFixture(async (fx, track) => {
    const a = track(await connect(fx));
    const b = track(await connect(fx));
    const seen: string[] = [];
    await a.on("evt", () => seen.push("p0"), { awaited: true });
    await a.on("evt", () => seen.push("p10"), { priority: 10, awaited: true });
    await b.on("evt", () => seen.push("p5"), { priority: 5, awaited: true });
    await b.call("eventSource.emit", "evt", { n: 1 });
    assert.deepEqual(seen, ["p10", "p5", "p0"]);
  });
});

Deno.test("plain listeners get a notification with the arguments", async () => {
  await withFixture(async (fx, track) => {
    const a = track(await connect(fx));
    const got = Promise.withResolvers<unknown[]>();
    await a.on("note", (...args) => got.resolve(args));
    await fx.lodge.events.emit("note", "x", { y: 1 });
    assert.deepEqual(await got.promise, ["x", { y: 1 }]);
  });
});

Deno.test("pluginOrder from setOrderConfig puts named plugins first, then priority", async () => {
  await withFixture(async (fx, track) => {
    const alpha = track(await connect(fx, "alpha"));
    const beta = track(await connect(fx, "beta"));
    const tool = track(await connect(fx));
    const seen: string[] = [];
    const a = await alpha.on("ord", () => seen.push("alpha"), { priority: 100, awaited: true });
    const b = await beta.on("ord", () => seen.push("beta"), { awaited: true });
    const t = await tool.on("ord", () => seen.push("tool"), { priority: 50, awaited: true });
    await tool.call("eventSource.emit", "ord");
    assert.deepEqual(seen, ["alpha", "tool", "beta"]); // priority alone
    // the global order is the user's setting: a plugin without permissions.orderConfig is refused
    await assert.rejects(
      beta.call("eventSource.setOrderConfig", { ord: { pluginOrder: ["beta"] } }),
      /orderConfig/,
    );
    await tool.call("eventSource.setOrderConfig", { ord: { pluginOrder: ["beta", "alpha"] } });
    seen.length = 0;
    await tool.call("eventSource.emit", "ord");
    assert.deepEqual(seen, ["beta", "alpha", "tool"]);
    assert.deepEqual(await tool.call("eventSource.getOrderConfig"), {
      ord: { pluginOrder: ["beta", "alpha"] },
    });
    assert.ok((await tool.call("eventSource.listenedEvents")).includes("ord"));
    const meta = await tool.call("eventSource.getListenersMeta", "ord");
    assert.deepEqual(meta.map((m) => [m.pluginId, m.source, m.listenerName, m.priority]), [
      ["beta", "plugin", b.listenerId, 0],
      ["alpha", "plugin", a.listenerId, 100],
      [null, "socket", t.listenerId, 50],
    ]);
  });
});

Deno.test("makeFirst and makeLast move only the caller's own listeners", async () => {
  await withFixture(async (fx, track) => {
    const c = track(await connect(fx));
    const other = track(await connect(fx));
    const seen: string[] = [];
    const a = await c.on("mv", () => seen.push("A"), { priority: 3, awaited: true });
    await c.on("mv", () => seen.push("B"), { priority: 2, awaited: true });
    const cc = await c.on("mv", () => seen.push("C"), { priority: 1, awaited: true });
    assert.equal(await c.call("eventSource.makeFirst", "mv", { listenerId: cc.listenerId }), true);
    assert.equal(await c.call("eventSource.makeLast", "mv", { listenerId: a.listenerId }), true);
    // another connection cannot reach these ids, and unknown ids are false
    assert.equal(await other.call("eventSource.makeFirst", "mv", { listenerId: a.listenerId }), false);
    assert.equal(await c.call("eventSource.makeLast", "mv", { listenerId: "nope" }), false);
    await c.call("eventSource.emit", "mv");
    assert.deepEqual(seen, ["C", "B", "A"]);
    assert.deepEqual((await c.call("eventSource.getListenersMeta", "mv")).map((m) => m.orderHint), [
      "first",
      null,
      "last",
    ]);
  });
});

Deno.test("a throwing awaited listener is reported and the chain goes on", async () => {
  await withFixture(async (fx, track) => {
    const c = track(await connect(fx));
    const seen: string[] = [];
    await c.on("boom", () => {
      throw new Error("listener blew up");
    }, { priority: 2, awaited: true });
    await c.on("boom", () => seen.push("after"), { priority: 1, awaited: true });
    await c.call("eventSource.emit", "boom");
    assert.deepEqual(seen, ["after"]);
    assert.equal(fx.internalErrors.length, 1);
    assert.ok(fx.internalErrors[0] instanceof RpcError);
    assert.equal((fx.internalErrors[0] as RpcError).message, "listener blew up");
  });
});

Deno.test("payload edits travel as patches: the next listener and the emitter's objects see them", async () => {
  await withFixture(async (fx, track) => {
    const c = track(await connect(fx));
    await c.on("pat", (payload) => {
      payload.text = "edited";
      payload.list.push(3);
      delete payload.drop;
      payload.nested.deep.flag = true;
    }, { priority: 2, awaited: true });
    const second = Promise.withResolvers<unknown>();
    await c.on("pat", (payload) => second.resolve(structuredClone(payload)), { priority: 1, awaited: true });
    const handle = () => "kept";
    const nested = { deep: { flag: false } };
    const payload = { text: "original", list: [1, 2], drop: "me", nested, handle };
    await fx.lodge.events.emit("pat", payload);
    const expected = { text: "edited", list: [1, 2, 3], nested: { deep: { flag: true } } };
    assert.deepEqual(await second.promise, expected);
    // edited in place: the emitter's object, its nested objects and its function stay the same
    assert.equal(payload.nested, nested);
    assert.equal(payload.handle, handle);
    assert.deepEqual({ ...payload, handle: undefined }, { ...expected, handle: undefined });
    assert.deepEqual(fx.internalErrors, []);
  });
});

Deno.test("a bad patch is reported and ignored; prototype paths are refused", async () => {
  await withFixture(async (fx, track) => {
    const raw = track(await openRawSocket(fx.wsUrl, fx.token));
    assert.equal(
      (await rawCall(raw, "eventSource.on", ["bad", { listenerId: "r", priority: 1, awaited: true }], 1))
        .result,
      null,
    );
    const answers = [
      { patch: [{ op: "replace", path: "/0/missing/x", value: 1 }] }, // path does not resolve
      { patch: "not a list" },
      { patch: [{ op: "add", path: "/0/__proto__/polluted", value: true }] },
      { patch: [{ op: "replace", path: "/0/a", value: 2 }, { op: "test", path: "/0/b", value: "wrong" }] },
    ];
    for (const answer of answers) {
      const payload = { a: 1, b: "b" };
      const emitted = fx.lodge.events.emit("bad", payload);
      const request = await raw.next() as { id: number; params: unknown };
      assert.deepEqual(request.params, { listenerId: "r", event: "bad", args: [{ a: 1, b: "b" }] });
      raw.send({ jsonrpc: "2.0", result: answer, id: request.id });
      await emitted;
      assert.deepEqual(payload, { a: 1, b: "b" }); // nothing half-applied
    }
    assert.equal(fx.internalErrors.length, answers.length);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

Deno.test("an awaited listener that never answers is skipped at the deadline", async () => {
  await withFixture(async (fx, track) => {
    const raw = track(await openRawSocket(fx.wsUrl, fx.token));
    await rawCall(raw, "eventSource.on", ["slow", { listenerId: "s", priority: 1, awaited: true }], 1);
    const seen: string[] = [];
    fx.lodge.events.on("slow", () => seen.push("host"));
    await fx.lodge.events.emit("slow");
    assert.deepEqual(seen, ["host"]);
    assert.equal((fx.internalErrors[0] as RpcError).code, -32003);
    assert.equal(((await raw.next()) as { method: string }).method, "event"); // it was asked
  }, { eventDeadlineMs: 100 });
});

Deno.test("a socket that dies is unsubscribed at once, even mid-delivery", async () => {
  await withFixture(async (fx, track) => {
    const raw = await openRawSocket(fx.wsUrl, fx.token);
    await rawCall(raw, "eventSource.on", ["die", { listenerId: "d", awaited: true }], 1);
    await rawCall(raw, "eventSource.on", ["die.other", { listenerId: "d" }], 2);
    const witness = track(await connect(fx));
    const after = Promise.withResolvers<void>();
    await witness.on("die", () => after.resolve(), { priority: -1, awaited: true });
    const started = performance.now();
    const emitted = fx.lodge.events.emit("die");
    await raw.next(); // the host is waiting for this socket's answer
    await raw.close();
    await emitted;
    await after.promise;
    // the chain went on because the socket closed, not because the 30 s deadline passed
    assert.ok(performance.now() - started < 15_000);
    assert.equal(fx.lodge.events.listenerCount("die"), 1);
    assert.equal(fx.lodge.events.listenerCount("die.other"), 0);
  }, { eventDeadlineMs: 30_000 });
});

Deno.test("subscription details: HTTP refused, ids replace per event, once, off", async (t) => {
  await withFixture(async (fx, track) => {
    const raw = track(await openRawSocket(fx.wsUrl, fx.token));
    await t.step("plain HTTP cannot subscribe", async () => {
      const response = await fetch(fx.url, {
        method: "POST",
        headers: { authorization: `Bearer ${fx.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          method: "eventSource.on",
          params: ["x", { listenerId: "h" }],
          id: 1,
        }),
      });
      const { error } = await response.json();
      assert.equal(error.code, -32005);
      assert.match(error.message, /WebSocket/);
    });
    await t.step("the same id again replaces the listener; other events keep theirs", async () => {
      await rawCall(raw, "eventSource.on", ["re", { listenerId: "x", priority: 1 }], 1);
      await rawCall(raw, "eventSource.on", ["re", { listenerId: "x", priority: 9 }], 2);
      await rawCall(raw, "eventSource.on", ["re2", { listenerId: "x" }], 3);
      assert.deepEqual(fx.lodge.events.getListenersMeta("re").map((m) => m.priority), [9]);
      assert.equal(fx.lodge.events.listenerCount("re2"), 1);
    });
    await t.step("once delivers a single time", async () => {
      await rawCall(raw, "eventSource.once", ["one", { listenerId: "o" }], 4);
      await fx.lodge.events.emit("one", 1);
      await fx.lodge.events.emit("one", 2);
      assert.deepEqual(await raw.next(), {
        jsonrpc: "2.0",
        method: "event",
        params: { listenerId: "o", event: "one", args: [1] },
      });
      // the next frame is this answer, not a second delivery
      assert.deepEqual(await rawCall(raw, "subtract", [2, 1], 5), { jsonrpc: "2.0", result: 1, id: 5 });
      assert.equal(fx.lodge.events.listenerCount("one"), 0);
    });
    await t.step("off removes; a second off finds nothing", async () => {
      assert.equal((await rawCall(raw, "eventSource.off", ["re", { listenerId: "x" }], 6)).result, true);
      assert.equal((await rawCall(raw, "eventSource.off", ["re", { listenerId: "x" }], 7)).result, false);
      assert.equal(fx.lodge.events.listenerCount("re"), 0);
      assert.equal(fx.lodge.events.listenerCount("re2"), 1);
    });
  });
});

Deno.test("eventTypes is readable, and APP_READY is replayed to a late socket listener", async () => {
  await withFixture(async (fx, track) => {
    const c = track(await connect(fx));
    assert.deepEqual(await c.call("eventTypes"), eventTypes);
    await fx.lodge.events.emit(eventTypes.APP_READY, { ready: true });
    const got = Promise.withResolvers<unknown[]>();
    await c.on(eventTypes.APP_READY, (...args) => got.resolve(args));
    assert.deepEqual(await got.promise, [{ ready: true }]);
  });
});

Deno.test("a subscription that lands after its socket closed leaves no listener behind", async () => {
  await withFixture(async (fx) => {
    const raw = await openRawSocket(fx.wsUrl, fx.token);
    const peer = fx.peers.at(-1)!;
    const gone = Promise.withResolvers<void>();
    peer.onClose(() => gone.resolve());
    await raw.close();
    await gone.promise;
    // the call was read before the close and is handled after it
    const frame = JSON.stringify({
      jsonrpc: "2.0",
      method: "eventSource.on",
      params: ["late", { listenerId: "l" }],
    });
    assert.equal(
      await fx.dispatcher.handle(frame, { caller: { kind: "client", connectionId: "late" }, peer }),
      null,
    );
    assert.equal(fx.lodge.events.listenerCount("late"), 0);
  });
});
