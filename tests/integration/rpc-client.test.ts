import assert from "node:assert/strict";
import { createHttpClient, createSocketClient } from "../../rpc/client.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import { fixtureMethods, startRpcFixture } from "../support/rpc-fixture.ts";

type Table = ReturnType<typeof fixtureMethods>;

const isCode = (code: number) => (error: unknown) => error instanceof RpcError && error.code === code;

Deno.test("HTTP client: typed calls, notifications and errors", async () => {
  const fx = await startRpcFixture();
  try {
    const rpc = createHttpClient<Table>(fx.url, { token: fx.token });
    const difference: number = await rpc.call("subtract", 42, 23);
    assert.equal(difference, 19);
    assert.equal(await rpc.call("greet", { name: "ann", tags: [] }, { loud: true }), "HELLO ANN");
    assert.deepEqual(await rpc.call("get_data"), ["hello", 5]);
    assert.equal((await rpc.call("rpc.discover")).openrpc, "1.3.2");
    await rpc.notify("notify_hello", 7);
    assert.deepEqual(fx.test.notified, [["notify_hello", 7]]);
    await assert.rejects(
      // @ts-expect-error: the table says numbers; the host says so too
      rpc.call("subtract", "42", 23),
      (error: RpcError) =>
        error.code === ErrorCode.INVALID_PARAMS && JSON.stringify(error.data).includes('"path":[0]'),
    );
    // @ts-expect-error: no such method in the table
    await assert.rejects(rpc.call("nope"), isCode(ErrorCode.METHOD_NOT_FOUND));
    await assert.rejects(
      createHttpClient<Table>(fx.url, { token: "wrong" }).call("get_data"),
      isCode(ErrorCode.FORBIDDEN),
    );
  } finally {
    await fx.close();
  }
});

Deno.test("HTTP client: a batch settles each call on its own", async () => {
  const fx = await startRpcFixture({ dispatcher: { maxBatchLength: 3 } });
  try {
    const rpc = createHttpClient<Table>(fx.url, { token: fx.token });
    const batch = rpc.batch();
    const a = batch.call("sum", 1, 2, 4);
    const b = batch.call("fail.integrity");
    batch.notify("notify_hello", 1);
    await batch.send();
    assert.equal(await a, 7);
    await assert.rejects(b, (error: RpcError) => error.code === -32000 && error.message === "chat changed");
    assert.deepEqual(fx.test.notified, [["notify_hello", 1]]);

    // a batch refused as a whole rejects every call in it
    const big = rpc.batch();
    const calls = [1, 2, 3, 4].map((n) => big.call("subtract", n, 0));
    await big.send();
    for (const call of calls) await assert.rejects(call, isCode(ErrorCode.LIMIT_EXCEEDED));

    // notifications only: the host answers 204 and send resolves
    const quiet = rpc.batch();
    quiet.notify("update", 1, 2);
    await quiet.send();
    assert.deepEqual(fx.test.notified.at(-1), ["update", 1, 2]);
  } finally {
    await fx.close();
  }
});

Deno.test("socket client: calls, host-to-client requests and closing", async () => {
  const fx = await startRpcFixture();
  const rpc = await createSocketClient<Table>(fx.wsUrl, { token: fx.token });
  try {
    assert.equal(await rpc.call("subtract", 5, 3), 2);
    await assert.rejects(
      rpc.call("fail.internal"),
      (error: RpcError) => error.code === -32603 && !error.data,
    );
    // a host request the client has no handler for is answered "Method not found"
    await assert.rejects(rpc.call("peer.ask", "anyone?"), isCode(ErrorCode.METHOD_NOT_FOUND));
    rpc.handle("ask", (params) => `you asked ${(params as { question: string }).question}`);
    assert.equal(await rpc.call("peer.ask", "this"), "you asked this");
    rpc.handle("ask", () => {
      throw new RpcError(ErrorCode.NOT_FOUND, "no idea");
    });
    await assert.rejects(rpc.call("peer.ask", "that"), (error: RpcError) => error.code === -32001);
    await rpc.notify("notify_hello", 3);
    await rpc.call("get_data"); // ordered after the notification on the same socket
    assert.deepEqual(fx.test.notified, [["notify_hello", 3]]);
    // a call in flight when the socket closes is rejected
    const blocked = rpc.call("block");
    const outcome = blocked.then(() => null, (error: RpcError) => error);
    await rpc.close();
    assert.equal((await outcome)?.code, ErrorCode.UNAVAILABLE);
    await assert.rejects(rpc.call("get_data"), isCode(ErrorCode.UNAVAILABLE));
  } finally {
    await rpc.close();
    await fx.close();
  }
});

Deno.test("socket client: event subscriptions with awaited patches and off", async () => {
  const fx = await startRpcFixture();
  const rpc = await createSocketClient<Table>(fx.wsUrl, { token: fx.token });
  try {
    const sub = await rpc.on("chat", (message: { mes: string; extra?: Record<string, string> }) => {
      message.mes = message.mes.toUpperCase();
      message.extra = { "a/b~c": "escaped keys" };
    }, { awaited: true });
    const message: Record<string, unknown> = { mes: "hi" };
    await fx.lodge.events.emit("chat", message);
    assert.deepEqual(message, { mes: "HI", extra: { "a/b~c": "escaped keys" } });
    assert.equal(await sub.off(), true);
    await fx.lodge.events.emit("chat", message);
    assert.equal(fx.lodge.events.listenerCount("chat"), 0);
    await assert.rejects(
      rpc.on("", () => {}),
      isCode(ErrorCode.INVALID_PARAMS),
    );
  } finally {
    await rpc.close();
    await fx.close();
  }
});

Deno.test("socket client: a refused handshake rejects", async () => {
  const fx = await startRpcFixture();
  try {
    await assert.rejects(
      createSocketClient<Table>(fx.wsUrl, { token: "wrong" }),
      isCode(ErrorCode.UNAVAILABLE),
    );
    // http(s) URLs are accepted and turned into ws(s)
    const rpc = await createSocketClient<Table>(fx.url, { token: fx.token });
    assert.equal(await rpc.call("subtract", 1, 1), 0);
    await rpc.close();
  } finally {
    await fx.close();
  }
});
