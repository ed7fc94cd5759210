import assert from "node:assert/strict";
import type { RpcError } from "../../rpc/errors.ts";
import { specExamples } from "../support/jsonrpc-spec-examples.ts";
import { openRawSocket } from "../support/raw-socket.ts";
import { startRpcFixture } from "../support/rpc-fixture.ts";

async function post(url: string, token: string, body: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

Deno.test("the specification's examples over POST /rpc", async (t) => {
  const fx = await startRpcFixture();
  try {
    for (const example of specExamples) {
      await t.step(example.name, async () => {
        const { status, body } = await post(fx.url, fx.token, example.request);
        assert.equal(status, example.response === null ? 204 : 200);
        assert.deepEqual(body, example.response);
      });
    }
  } finally {
    await fx.close();
  }
});

Deno.test("the specification's examples over the WebSocket", async () => {
  const fx = await startRpcFixture();
  const ws = await openRawSocket(fx.wsUrl, fx.token);
  try {
    // frames are answered as they finish, so send all, then match answers to examples by content
    const answered = specExamples.filter((e) => e.response !== null);
    for (const example of specExamples) ws.send(example.request);
    const replies = [];
    for (let i = 0; i < answered.length; i++) replies.push(await ws.next());
    const key = (value: unknown) => JSON.stringify(value);
    assert.deepEqual(replies.map(key).sort(), answered.map((e) => key(e.response)).sort());
    // the notifications ran (update, then notify_hello twice) and were not answered
    assert.deepEqual(fx.test.notified.map((n) => n[0]).sort(), ["notify_hello", "notify_hello", "update"]);
    assert.equal(ws.buffered(), 0);
  } finally {
    await ws.close();
    await fx.close();
  }
});

Deno.test("without the token both transports are refused", async () => {
  const fx = await startRpcFixture();
  try {
    const response = await fetch(fx.url, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(response.status, 401);
    await response.body?.cancel();
    await assert.rejects(openRawSocket(fx.wsUrl, "wrong"));
  } finally {
    await fx.close();
  }
});

Deno.test("a plugin caller is refused admin methods over both transports", async () => {
  const fx = await startRpcFixture();
  const ws = await openRawSocket(`${fx.wsUrl}?plugin=demo`, fx.token);
  try {
    const frame = `{"jsonrpc":"2.0","method":"admin.ping","id":1}`;
    assert.equal((await post(`${fx.url}?plugin=demo`, fx.token, frame)).body.error.code, -32002);
    ws.send(frame);
    assert.equal(((await ws.next()) as { error: { code: number } }).error.code, -32002);
    assert.equal((await post(fx.url, fx.token, frame)).body.result, "pong");
  } finally {
    await ws.close();
    await fx.close();
  }
});

Deno.test("in-flight calls per connection are limited; other connections are not affected", async () => {
  const fx = await startRpcFixture({ dispatcher: { maxInflight: 3 } });
  const ws = await openRawSocket(fx.wsUrl, fx.token);
  const other = await openRawSocket(fx.wsUrl, fx.token);
  try {
    for (let id = 1; id <= 3; id++) ws.send({ jsonrpc: "2.0", method: "block", id });
    ws.send({ jsonrpc: "2.0", method: "subtract", params: [2, 1], id: 4 });
    assert.deepEqual(await ws.next(), {
      jsonrpc: "2.0",
      error: { code: -32006, message: "Too many calls in flight", data: { limit: "inflight", max: 3 } },
      id: 4,
    });
    other.send({ jsonrpc: "2.0", method: "subtract", params: [2, 1], id: 1 });
    assert.deepEqual(await other.next(), { jsonrpc: "2.0", result: 1, id: 1 });
    assert.equal(fx.test.blocked(), 3);
    fx.test.release();
    const released = [await ws.next(), await ws.next(), await ws.next()] as { id: number }[];
    assert.deepEqual(released.map((r) => r.id).sort(), [1, 2, 3]);
    ws.send({ jsonrpc: "2.0", method: "subtract", params: [2, 1], id: 5 });
    assert.deepEqual(await ws.next(), { jsonrpc: "2.0", result: 1, id: 5 });
  } finally {
    await ws.close();
    await other.close();
    await fx.close();
  }
});

Deno.test("socket frame limits and binary frames get clear errors and keep the connection", async () => {
  const fx = await startRpcFixture({ dispatcher: { maxFrameBytes: 1024 } });
  const ws = await openRawSocket(fx.wsUrl, fx.token);
  try {
    ws.send(`{"jsonrpc":"2.0","method":"echo","params":["${"x".repeat(2000)}"],"id":1}`);
    assert.deepEqual(await ws.next(), {
      jsonrpc: "2.0",
      error: { code: -32006, message: "Frame too large", data: { limit: "frameBytes", max: 1024 } },
      id: null,
    });
    ws.socket.send(new Uint8Array([1, 2, 3]));
    assert.deepEqual(await ws.next(), {
      jsonrpc: "2.0",
      error: { code: -32700, message: "Parse error", data: { reason: "binary frames are not supported" } },
      id: null,
    });
    ws.send({ jsonrpc: "2.0", method: "subtract", params: [2, 1], id: 2 });
    assert.deepEqual(await ws.next(), { jsonrpc: "2.0", result: 1, id: 2 });
  } finally {
    await ws.close();
    await fx.close();
  }
});

Deno.test("host-to-client requests: answers, errors, timeouts, and a socket that dies", async (t) => {
  const fx = await startRpcFixture();
  const ws = await openRawSocket(fx.wsUrl, fx.token);
  try {
    await t.step("the client's answer resolves the host's request", async () => {
      ws.send({ jsonrpc: "2.0", method: "peer.ask", params: ["name?"], id: "q1" });
      const ask = await ws.next() as { id: number; method: string; params: unknown };
      assert.equal(ask.method, "ask");
      assert.deepEqual(ask.params, { question: "name?" });
      ws.send({ jsonrpc: "2.0", result: { name: "ann" }, id: ask.id });
      assert.deepEqual(await ws.next(), { jsonrpc: "2.0", result: { name: "ann" }, id: "q1" });
    });
    await t.step("the client's error is the host's rejection", async () => {
      ws.send({ jsonrpc: "2.0", method: "peer.ask", params: ["x"], id: "q2" });
      const ask = await ws.next() as { id: number };
      ws.send({ jsonrpc: "2.0", error: { code: -32001, message: "no such thing" }, id: ask.id });
      assert.deepEqual(await ws.next(), {
        jsonrpc: "2.0",
        error: { code: -32001, message: "no such thing" },
        id: "q2",
      });
    });
    await t.step("no answer within the deadline is a timeout", async () => {
      ws.send({ jsonrpc: "2.0", method: "peer.ask", params: ["x", 50], id: "q3" });
      const ask = await ws.next() as { id: number };
      assert.deepEqual(await ws.next(), {
        jsonrpc: "2.0",
        error: { code: -32003, message: "No answer to ask within 50 ms" },
        id: "q3",
      });
      // a late answer is ignored, not mistaken for a request
      ws.send({ jsonrpc: "2.0", result: "late", id: ask.id });
      ws.send({ jsonrpc: "2.0", method: "subtract", params: [2, 1], id: "q4" });
      assert.deepEqual(await ws.next(), { jsonrpc: "2.0", result: 1, id: "q4" });
    });
  } finally {
    await ws.close();
  }
  await t.step("a socket that dies fails pending host requests and runs every onClose at once", async () => {
    const dying = await openRawSocket(fx.wsUrl, fx.token);
    const peer = fx.peers.at(-1)!;
    const closes: string[] = [];
    peer.onClose(() => closes.push("first"));
    peer.onClose(() => closes.push("second"));
    const pending = peer.request("ask", null, { timeoutMs: 0 }); // 0: no deadline, only the close ends it
    const outcome = pending.then(() => null, (error: RpcError) => error); // handled before the close
    await dying.next(); // the request reached the client, which never answers
    await dying.close();
    const error = await outcome;
    assert.equal(error?.code, -32005);
    assert.equal(error?.message, "Connection closed");
    assert.deepEqual(closes, ["first", "second"]);
    // after the close, a new onClose runs at once and a request fails at once
    peer.onClose(() => closes.push("late"));
    assert.deepEqual(closes, ["first", "second", "late"]);
    await assert.rejects(peer.request("ask", null), (error: RpcError) => error.code === -32005);
    peer.notify("dropped", null); // a no-op, not a throw
  });
  await fx.close();
});
