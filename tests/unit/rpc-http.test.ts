import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import { handleRpcHttp } from "../../rpc/http.ts";
import type { Caller } from "../../rpc/method.ts";
import { createTestMethods } from "../support/rpc-test-methods.ts";

const caller: Caller = { kind: "client", connectionId: "http" };
const dispatcher = createDispatcher(createTestMethods().methods, new Lodge(openSqliteStore(":memory:")));
const url = "http://127.0.0.1/rpc";
const post = (
  body: BodyInit | null,
  headers: Record<string, string> = { "content-type": "application/json" },
) => new Request(url, { method: "POST", body, headers });

Deno.test("a request is answered 200 with JSON", async () => {
  const response = await handleRpcHttp(
    dispatcher,
    post(`{"jsonrpc":"2.0","method":"subtract","params":[5,2],"id":1}`),
    caller,
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), { jsonrpc: "2.0", result: 3, id: 1 });
});

Deno.test("notifications only: 204 with an empty body", async () => {
  const response = await handleRpcHttp(
    dispatcher,
    post(`{"jsonrpc":"2.0","method":"update","params":[1]}`),
    caller,
  );
  assert.equal(response.status, 204);
  assert.equal(await response.text(), "");
});

Deno.test("content type: JSON with a charset is accepted, anything else is 415", async () => {
  const ok = await handleRpcHttp(
    dispatcher,
    post(`{"jsonrpc":"2.0","method":"get_data","id":1}`, {
      "content-type": "application/json; charset=utf-8",
    }),
    caller,
  );
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
    const response = await handleRpcHttp(
      dispatcher,
      post("{}", type ? { "content-type": type } : {}),
      caller,
    );
    assert.equal(response.status, 415);
    assert.equal((await response.json()).error.code, -32600);
  }
});

Deno.test("only POST: other methods are 405 with Allow", async () => {
  const response = await handleRpcHttp(dispatcher, new Request(url), caller);
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
  assert.equal((await response.json()).error.code, -32600);
});

Deno.test("a body over the limit is 413 with a limit error, by header or while streaming", async () => {
  const declared = await handleRpcHttp(dispatcher, post("x".repeat(2000)), caller, { maxBodyBytes: 1000 });
  assert.equal(declared.status, 413);
  assert.deepEqual(await declared.json(), {
    jsonrpc: "2.0",
    error: { code: -32006, message: "Request body too large", data: { limit: "frameBytes", max: 1000 } },
    id: null,
  });
  // a chunked body has no Content-Length: the reader stops at the limit
  const chunk = new TextEncoder().encode("x".repeat(400));
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(chunk);
    },
  });
  const streamed = await handleRpcHttp(dispatcher, post(stream), caller, { maxBodyBytes: 1000 });
  assert.equal(streamed.status, 413);
  assert.equal((await streamed.json()).error.code, -32006);
  assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
});

Deno.test("a body that is not UTF-8 is a parse error", async (t) => {
  const invalid = (bytes: number[]) => post(new Uint8Array(bytes));
  const bad = {
    "bytes that never start a character": [0x7b, 0xff, 0xfe, 0x7d],
    "a lone continuation byte inside a string": [0x22, 0x80, 0x22],
    "a truncated sequence before a real U+FFFD": [0x22, 0xe2, 0x82, 0xef, 0xbf, 0xbd, 0x22],
    "an overlong encoding": [0x22, 0xc0, 0xaf, 0x22],
  };
  for (const [label, bytes] of Object.entries(bad)) {
    await t.step(label, async () => {
      const response = await handleRpcHttp(dispatcher, invalid(bytes), caller);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).error.code, -32700);
    });
  }
  await t.step("a real U+FFFD in the text is no error", async () => {
    const body = new TextEncoder().encode(`{"jsonrpc":"2.0","method":"echo","params":["a\uFFFDb"],"id":1}`);
    const response = await handleRpcHttp(dispatcher, post(body), caller);
    assert.deepEqual(await response.json(), { jsonrpc: "2.0", result: "a\uFFFDb", id: 1 });
  });
});
