/**
 * Sends 10,000 malformed frames through each transport, then checks that the host still answers, that
 * every answer it gave was well-formed, that no frame caused an unexpected error, and that nothing in
 * the Lodge changed. Frames are built by a seeded PRNG so a failure replays exactly.
 */
import assert from "node:assert/strict";
import { openRawSocket } from "../support/raw-socket.ts";
import { type RpcFixture, startRpcFixture } from "../support/rpc-fixture.ts";

const SEED = 0x10d6e;
const FRAMES_PER_TRANSPORT = 10_000;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

type Rand = ReturnType<typeof prng>;

// Real method names appear only with params that no method accepts in a state-changing way; the
// methods that record calls or fail on purpose are left out so "nothing changed" stays checkable.
const METHODS = [
  "subtract",
  "sum",
  "get_data",
  "echo",
  "greet",
  "admin.ping",
  "eventSource.on",
  "eventSource.once",
  "eventSource.off",
  "eventSource.makeFirst",
  "eventSource.makeLast",
  "eventSource.getListenersMeta",
  "eventSource.setOrderConfig",
  "eventSource.emit",
  "eventTypes",
  "rpc.discover",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "rpc.discover.constructor",
  "",
  "eventSource",
];
const PARAMS = [
  `"bar"`,
  `1`,
  `null`,
  `true`,
  `{}`,
  `{"name":"x"}`,
  `[{"__proto__":{"polluted":true}}]`,
  `[{"constructor":{"prototype":{"polluted":true}}}]`,
  `[1e400]`,
  `[-0,"x"]`,
  `[[[]]]`,
  `["__proto__",{"listenerId":5}]`,
  `[123456789012345678901234567890,1e-400]`,
];
const IDS = [
  `1`,
  `"x"`,
  `null`,
  `{}`,
  `[]`,
  `true`,
  `1e400`,
  `-0`,
  `1.5`,
  `"__proto__"`,
  `99999999999999999999999`,
];
const VERSIONS = [`"2.0"`, `"1.0"`, `2`, `null`, `""`, `"2.00"`, `{"__proto__":"2.0"}`];
const KEYS = ["a", "__proto__", "constructor", "prototype", "toString", "x/y", "~", "", "\\u0000"];

function randomString(r: Rand): string {
  const len = r.int(12);
  let s = "";
  for (let i = 0; i < len; i++) {
    s += String.fromCharCode(r.pick([r.int(128), 0xd800 + r.int(0x800), r.int(0xffff)]));
  }
  return JSON.stringify(s);
}

function randomJson(r: Rand, depth = 0): string {
  const kind = depth > 4 ? r.int(4) : r.int(7);
  switch (kind) {
    case 0:
      return r.pick(["0", "-0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "3.14", "-7"]);
    case 1:
      return randomString(r);
    case 2:
      return r.pick(["true", "false", "null"]);
    case 3:
      return `"${r.pick(KEYS)}"`;
    case 4:
      return `[${Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1)).join(",")}]`;
    default:
      return `{${
        Array.from({ length: r.int(4) }, () => `"${r.pick(KEYS)}":${randomJson(r, depth + 1)}`).join(",")
      }}`;
  }
}

/** A request-like object with at least one field of the wrong kind, or the wrong params for its method. */
function requestish(r: Rand): string {
  const fields: string[] = [];
  if (r.next() < 0.9) fields.push(`"jsonrpc":${r.pick(VERSIONS)}`);
  if (r.next() < 0.9) {
    fields.push(`"method":${r.next() < 0.8 ? JSON.stringify(r.pick(METHODS)) : randomJson(r)}`);
  }
  if (r.next() < 0.8) fields.push(`"params":${r.pick(PARAMS)}`);
  if (r.next() < 0.7) fields.push(`"id":${r.pick(IDS)}`);
  if (r.next() < 0.2) fields.push(`"${r.pick(KEYS)}":${randomJson(r)}`);
  if (r.next() < 0.1) fields.push(`"result":1`);
  return `{${fields.sort(() => r.next() - 0.5).join(",")}}`;
}

/** One malformed frame. Rare kinds (huge, deep) are rare so the test stays fast. */
function frame(r: Rand): string | Uint8Array<ArrayBuffer> {
  const roll = r.next();
  if (roll < 0.1) return new Uint8Array(Array.from({ length: r.int(64) }, () => r.int(256))); // raw bytes
  if (roll < 0.2) {
    const valid = `{"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":1}`;
    return valid.slice(0, r.int(valid.length)); // truncated
  }
  if (roll < 0.4) return randomJson(r);
  if (roll < 0.8) return requestish(r);
  if (roll < 0.95) return `[${Array.from({ length: 1 + r.int(5) }, () => requestish(r)).join(",")}]`;
  if (roll < 0.97) {
    const n = r.pick([129, 1_000, 100_000]);
    return r.pick(["[", `{"a":`])!.repeat(n) + (r.next() < 0.5 ? "]".repeat(n) : "");
  }
  if (roll < 0.985) return `[${Array.from({ length: 101 + r.int(50) }, () => "1").join(",")}]`; // batch too long
  if (roll < 0.999) return `{"jsonrpc":"2.0","method":"${"m".repeat(1 << 20)}","id":1}`; // a 1 MiB string
  return `{"jsonrpc":"2.0","method":"echo","params":["${"x".repeat(17 << 20)}"],"id":1}`; // over 16 MiB
}

/** What the host holds that no malformed frame may change. */
function stateOf(fx: RpcFixture) {
  return structuredClone({
    context: fx.lodge.context.snapshot(),
    order: fx.lodge.events.getOrderConfig(),
    listeners: fx.lodge.events.getListenersMeta("seeded"),
    notified: fx.test.notified,
  });
}

/** A well-formed answer: one response object or a non-empty array of them. */
function assertWellFormed(value: unknown) {
  const responses = Array.isArray(value) ? value : [value];
  assert.ok(responses.length > 0);
  for (const response of responses) {
    assert.equal(response.jsonrpc, "2.0");
    assert.ok("id" in response);
    if ("error" in response) {
      assert.ok(Number.isInteger(response.error.code) && typeof response.error.message === "string");
    } else assert.ok("result" in response);
  }
}

async function seeded() {
  const fx = await startRpcFixture();
  fx.lodge.events.setOrderConfig({ seeded: { pluginOrder: ["a", "b"] } });
  fx.lodge.events.on("seeded", function seededListener() {}, { priority: 3, pluginId: "a" });
  return { fx, before: stateOf(fx) };
}

function assertUnchanged(fx: RpcFixture, before: ReturnType<typeof stateOf>) {
  assert.deepEqual(stateOf(fx), before);
  assert.deepEqual(fx.internalErrors, []);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
}

Deno.test(`fuzz: ${FRAMES_PER_TRANSPORT} malformed frames over POST /rpc`, async () => {
  const { fx, before } = await seeded();
  try {
    const r = prng(SEED);
    const frames = Array.from({ length: FRAMES_PER_TRANSPORT }, () => frame(r));
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < frames.length) {
        const body = frames[next++];
        const response = await fetch(fx.url, {
          method: "POST",
          headers: { authorization: `Bearer ${fx.token}`, "content-type": "application/json" },
          body,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        if (response.status === 204) assert.equal(text, "");
        else assertWellFormed(JSON.parse(text));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual([...statuses.keys()].filter((s) => ![200, 204, 413].includes(s)), []);
    const response = await fetch(fx.url, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.token}`, "content-type": "application/json" },
      body: `{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"final"}`,
    });
    assert.deepEqual(await response.json(), { jsonrpc: "2.0", result: 19, id: "final" });
    assertUnchanged(fx, before);
  } finally {
    await fx.close();
  }
});

Deno.test(`fuzz: ${FRAMES_PER_TRANSPORT} malformed frames over the WebSocket`, async () => {
  const { fx, before } = await seeded();
  const ws = await openRawSocket(fx.wsUrl, fx.token);
  try {
    const r = prng(SEED + 1);
    for (let i = 0; i < FRAMES_PER_TRANSPORT; i++) ws.socket.send(frame(r));
    ws.send(`{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"final"}`);
    let answers = 0;
    while (true) {
      const reply = await ws.next();
      assertWellFormed(reply);
      answers++;
      if ((reply as { id?: unknown }).id === "final") {
        assert.deepEqual(reply, { jsonrpc: "2.0", result: 19, id: "final" });
        break;
      }
    }
    assert.ok(answers > FRAMES_PER_TRANSPORT / 2, `only ${answers} answers`);
    assertUnchanged(fx, before);
  } finally {
    await ws.close();
    await fx.close();
  }
});
