/**
 * Security from day one, against a real host: token and cookie auth, the `Host` allow-list, the body
 * size limit, names that could escape the data folder, prototype-polluting patch paths, leading-zero
 * indexes, and `GET /healthz` without auth.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { csrfOf } from "../support/browser.ts";
import { post, rawHttp, request, startTestHost } from "../support/host.ts";

Deno.test("auth, Host check, body limit, unsafe names and paths", async (t) => {
  const h = await startTestHost();
  const T = { avatar_url: "Lock.png", file_name: "vault" };
  const chat = async () => (await h.post("/api/chats/get", T)).body;
  try {
    await h.post("/api/chats/save", { ...T, chat: [{}, { name: "A", mes: "secret" }] });

    await t.step("GET /healthz answers without auth", async () => {
      const res = await request(h.url, "/healthz");
      assert.equal(res.status, 200);
      // the count of stored rows moved aside at start (none on a fresh data folder)
      assert.deepEqual(res.body, { ok: true, quarantined: 0 });
    });

    await t.step("no token and a wrong token are 401 and change nothing", async () => {
      const write = { ...T, messages: [{ mes: "intruder" }] };
      await assertRefusedUnchanged(() => chat(), () => post(h.url, "/api/chats/append", write), 401);
      await assertRefusedUnchanged(
        () => chat(),
        () => post(h.url, "/api/chats/append", write, { token: h.token + "x" }),
        401,
      );
      await assertRefusedUnchanged(
        () => chat(),
        () => post(h.url, "/api/chats/append", write, { token: h.token.slice(0, -1) }),
        401,
      );
      await assertRefusedUnchanged(
        () => chat(),
        () => post(h.url, "/api/chats/append", write, { headers: { authorization: `Basic ${h.token}` } }),
        401,
      );
      assertError(await post(h.url, "/api/chats/get", T), 401);
      assertError(await post(h.url, "/api/chats/get", T, { token: "" }), 401);
      assertError(await post(h.url, "/rpc", { jsonrpc: "2.0", id: 1, method: "rpc.discover" }), 401);
    });

    await t.step("the bearer token is accepted (scheme case-insensitive)", async () => {
      assert.equal((await post(h.url, "/api/chats/get", T, { token: h.token })).status, 200);
      const lower = await post(h.url, "/api/chats/get", T, {
        headers: { authorization: `bearer ${h.token}` },
      });
      assert.equal(lower.status, 200);
    });

    await t.step("GET /?token=... sets an HttpOnly session cookie that authorizes /api", async () => {
      const login = await request(h.url, `/?token=${h.token}`);
      assert.equal(login.status, 303);
      const setCookie = login.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /^lodge_session=/);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      assert.ok(!setCookie.includes(h.token), "the cookie must not be the token itself");
      const cookie = setCookie.split(";")[0];
      // What the signed-in page sends: the cookie, its own Origin and the CSRF value from its meta tag.
      const csrf = csrfOf(String((await request(h.url, "/", { headers: { cookie } })).body));
      assert.ok(csrf);
      const page = { cookie, origin: h.url, "x-lodge-csrf": csrf };
      const res = await post(h.url, "/api/chats/get", T, { headers: page });
      assert.equal(res.status, 200);
      assert.equal(res.body[1].mes, "secret");
      // A forged cookie and a wrong login token get nothing.
      assertError(
        await post(h.url, "/api/chats/get", T, { headers: { ...page, cookie: "lodge_session=forged" } }),
        401,
      );
      const bad = await request(h.url, "/?token=wrong");
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get("set-cookie"), null);
      // The index page itself needs no token.
      assert.equal((await request(h.url, "/")).status, 200);
    });

    await t.step("a request whose Host is not the bound host:port is refused", async () => {
      const port = h.host.port;
      const req = (host: string) =>
        `POST /api/chats/get HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${h.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${JSON.stringify(T).length}\r\n` +
        `Connection: close\r\n\r\n${JSON.stringify(T)}`;
      const evil = await rawHttp(port, req(`evil.example:${port}`));
      assert.equal(evil.status, 421, evil.text);
      assert.ok(!evil.text.includes("secret"));
      assert.equal((await rawHttp(port, req(`127.0.0.1:${port + 1}`))).status, 421);
      assert.equal((await rawHttp(port, req("127.0.0.1"))).status, 421);
      // The names of the loopback interface with the right port are fine.
      const ok = await rawHttp(port, req(`localhost:${port}`));
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.text.includes("secret"));
      assert.equal((await rawHttp(port, req(`127.0.0.1:${port}`))).status, 200);
    });

    await t.step("names with .., /, NUL, absolute paths are 400 everywhere and store nothing", async () => {
      const bad = [
        "..",
        "../x",
        "x/../y",
        "a/b",
        "/etc/passwd",
        "nul\u0000.png",
        "C:\\Windows",
        "C:x",
        "a\\b",
      ];
      const read = async () => ({
        recent: (await h.post("/api/chats/recent", { max: 1000 })).body,
        groups: (await h.post("/api/chats/group/recent", { max: 1000 })).body,
        characters: (await h.post("/api/characters/all", {})).body,
        worlds: (await h.post("/api/settings/get", {})).body.world_names,
      });
      for (const name of bad) {
        const sends = [
          () =>
            h.post("/api/chats/save", { avatar_url: "Lock.png", file_name: name, chat: [{}, { mes: "x" }] }),
          () => h.post("/api/chats/save", { avatar_url: name, file_name: "ok", chat: [{}, { mes: "x" }] }),
          () => h.post("/api/chats/group/save", { id: name, chat: [{}, { mes: "x" }] }),
          () => h.post("/api/chats/rename", { ...T, renamed_file: name }),
          () => h.post("/api/characters/create", { name: "Ok", avatar_url: name }),
          () => h.post("/api/worldinfo/edit", { name, data: { entries: {} } }),
          () => h.post("/api/characters/state/set", { avatar_url: name, namespace: "n", data: {} }),
        ];
        for (const send of sends) {
          await assertRefusedUnchanged(read, send, 400);
        }
      }
    });

    await t.step(
      "patch paths with __proto__, prototype, constructor are 400 on every patch route",
      async () => {
        await h.post("/api/characters/create", { name: "Lock" });
        await h.post("/api/worldinfo/edit", { name: "W", data: { entries: {} } });
        for (const segment of ["__proto__", "prototype", "constructor"]) {
          const ops = [{ op: "add", path: `/${segment}/polluted`, value: "yes" }];
          const nested = [{ op: "add", path: `/0/extra/${segment}/polluted`, value: "yes" }];
          const routes: [string, Record<string, unknown>, () => Promise<unknown>][] = [
            ["/api/chats/patch", { ...T, operations: nested }, chat],
            ["/api/chats/meta/patch", { ...T, operations: ops }, chat],
            [
              "/api/chats/state/patch",
              { ...T, namespace: "n", operations: ops },
              async () => (await h.post("/api/chats/state/get", { ...T, namespace: "n" })).body,
            ],
            [
              "/api/characters/state/patch",
              { avatar_url: "Lock.png", namespace: "n", operations: ops },
              async () =>
                (await h.post("/api/characters/state/get", { avatar_url: "Lock.png", namespace: "n" })).body,
            ],
            [
              "/api/settings/patch",
              { operations: ops },
              async () => (await h.post("/api/settings/get", {})).body,
            ],
            [
              "/api/worldinfo/patch",
              { name: "W", operations: ops },
              async () => (await h.post("/api/worldinfo/get", { name: "W" })).body,
            ],
          ];
          for (const [path, body, read] of routes) {
            await assertRefusedUnchanged(
              read,
              () => h.post(path, body),
              400,
              /not allowed/,
            );
          }
          // Escaped forms decode to the same forbidden segment.
          await assertRefusedUnchanged(
            chat,
            () =>
              h.post("/api/chats/patch", {
                ...T,
                operations: [{ op: "test", path: `/0/${segment}`, value: 1 }],
              }),
            400,
          );
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
      },
    );

    await t.step("leading-zero array indexes are 400", async () => {
      await h.post("/api/settings/patch", { operations: [{ op: "add", path: "/arr", value: [1, 2] }] });
      const settings = async () => (await h.post("/api/settings/get", {})).body;
      for (const path of ["/01", "/00", "/0/swipes/01"]) {
        await assertRefusedUnchanged(
          chat,
          () =>
            h.post("/api/chats/patch", { ...T, operations: [{ op: "replace", path, value: { mes: "x" } }] }),
          400,
          /leading zero/,
        );
      }
      await assertRefusedUnchanged(
        settings,
        () => h.post("/api/settings/patch", { operations: [{ op: "replace", path: "/arr/01", value: 0 }] }),
        400,
        /leading zero/,
      );
    });

    await t.step("malformed JSON is 400 with a message; unknown routes are 404", async () => {
      assertError(await h.post("/api/chats/save", null, { rawBody: '{"avatar_url": ' }), 400, /JSON/);
      assertError(await h.post("/api/chats/nope", {}), 404);
    });
  } finally {
    await h.close();
  }
});

Deno.test("a body over the size limit is 413 and stores nothing", async (t) => {
  const h = await startTestHost({ maxBodyBytes: 2048 });
  const T = { avatar_url: "Big.png", file_name: "c" };
  const chat = async () => (await h.post("/api/chats/get", T)).body;
  try {
    const small = await h.post("/api/chats/save", { ...T, chat: [{}, { mes: "small" }] });
    assert.equal(small.status, 200);

    await t.step("with Content-Length", async () => {
      const big = { ...T, messages: [{ mes: "x".repeat(4096) }] };
      await assertRefusedUnchanged(chat, () => h.post("/api/chats/append", big), 413);
      await assertRefusedUnchanged(
        chat,
        () => h.post("/api/chats/save", { ...T, chat: [{}, { mes: "y".repeat(3000) }] }),
        413,
      );
    });

    await t.step("chunked, without Content-Length", async () => {
      const text = JSON.stringify({ ...T, messages: [{ mes: "z".repeat(8192) }] });
      const bytes = new TextEncoder().encode(text);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.subarray(i, i + 1000));
          controller.close();
        },
      });
      await assertRefusedUnchanged(
        chat,
        () => h.post("/api/chats/append", null, { rawBody: stream }),
        413,
      );
    });

    await t.step("a body just under the limit still works", async () => {
      const res = await h.post("/api/chats/append", { ...T, messages: [{ mes: "w".repeat(1500) }] });
      assert.equal(res.status, 200);
      assert.equal((await chat()).length, 3);
    });
  } finally {
    await h.close();
  }
});
