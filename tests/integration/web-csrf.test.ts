/**
 * A page on another port of 127.0.0.1 is same-site with the host, so the browser attaches the
 * SameSite=Strict session cookie to its requests. These tests send what such a page can send, against a
 * real host: every state-changing cookie request without the host's own Origin and the session's CSRF
 * header is refused with nothing changed, bodies that are not JSON are 415, sessions are per browser and
 * survive a restart, and `/healthz` keeps answering quickly during each attack.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertError } from "../support/asserts.ts";
import { csrfOf, healthDuring, signIn } from "../support/browser.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { type ApiResponse, rawHttp, request, startTestHost, type TestHost } from "../support/host.ts";

const EVIL = "http://127.0.0.1:9999";
const KEY = "sk-custom-SEKRET-CUSTOM-0123456789";

/** Everything an attack could change, read with the token. */
async function snapshot(h: TestHost) {
  return {
    settings: (await h.post("/api/settings/get", {})).body,
    chats: (await h.post("/api/chats/recent", { max: 1000 })).body,
    secrets: (await h.post("/api/secrets/list", {})).body,
    secretsFile: await Deno.readTextFile(join(h.dataDir, "secrets.json")).catch(() => "none"),
  };
}

/** Runs `attack`, asserts the refusal status, that nothing changed and that /healthz stayed fast. */
async function refused(h: TestHost, status: number, attack: () => Promise<ApiResponse>): Promise<void> {
  const before = await snapshot(h);
  const { result, p99Ms } = await healthDuring(h.url, attack);
  assertError(result, status);
  assert.deepEqual(await snapshot(h), before, "a refused request changed stored data");
  assert.ok(p99Ms < 100, `/healthz p99 ${p99Ms.toFixed(1)} ms during the attack`);
}

/** A raw POST with exactly the given headers (what `fetch` from another page may send). */
function send(h: TestHost, path: string, body: string, headers: Record<string, string>) {
  return request(h.url, path, { method: "POST", headers, rawBody: body });
}

Deno.test("cookie requests from another origin are refused and change nothing", async (t) => {
  const h = await startTestHost();
  const fake = FakeOpenAI.start();
  try {
    await h.post("/api/secrets/write", { key: "api_key_custom", value: KEY });
    await h.post("/api/settings/save", { theme: "mine" });
    const browser = await signIn(h.url, h.token);
    const cookie = browser.cookie;
    const evilSettings = JSON.stringify({ theme: "pwned" });
    const steal = JSON.stringify({
      chat_completion_source: "custom",
      custom_url: fake.url,
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });

    await t.step("text/plain from another origin (no preflight needed) is 415", async () => {
      const headers = { cookie, origin: EVIL, "content-type": "text/plain" };
      await refused(h, 415, () => send(h, "/api/settings/save", evilSettings, headers));
      await refused(h, 415, () => send(h, "/api/backends/chat-completions/generate", steal, headers));
      await refused(h, 415, () => send(h, "/api/settings/save", evilSettings, { cookie }));
      for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        await refused(
          h,
          415,
          () => send(h, "/api/settings/save", evilSettings, { cookie, "content-type": type }),
        );
      }
      assert.equal(fake.requests.length, 0, "the key went to the attacker's URL");
    });

    await t.step("JSON with another Origin, even with the right CSRF value, is 403", async () => {
      const headers = { ...browser.headers, origin: EVIL, "content-type": "application/json" };
      await refused(h, 403, () => send(h, "/api/settings/save", evilSettings, headers));
      await refused(h, 403, () => send(h, "/api/backends/chat-completions/generate", steal, headers));
      await refused(
        h,
        403,
        () => send(h, "/api/secrets/write", '{"key":"api_key_custom","value":"x"}', headers),
      );
      for (const origin of ["null", `${h.url}.evil`, h.url.replace("http:", "https:"), `${h.url}/`]) {
        await refused(h, 403, () => send(h, "/api/settings/save", evilSettings, { ...headers, origin }));
      }
      assert.equal(fake.requests.length, 0);
    });

    await t.step("no Origin and Sec-Fetch-Site other than same-origin is 403", async () => {
      const { origin: _, ...noOrigin } = browser.headers;
      for (const site of ["same-site", "cross-site", "none"]) {
        await refused(h, 403, () =>
          send(h, "/api/settings/save", evilSettings, {
            ...noOrigin,
            "sec-fetch-site": site,
            "content-type": "application/json",
          }));
      }
      const { "sec-fetch-site": __, ...bare } = noOrigin;
      await refused(
        h,
        403,
        () => send(h, "/api/settings/save", evilSettings, { ...bare, "content-type": "application/json" }),
      );
    });

    await t.step("the host's own Origin without the CSRF header, or with a wrong one, is 403", async () => {
      const { "x-lodge-csrf": _, ...noCsrf } = browser.headers;
      const json = { "content-type": "application/json" };
      await refused(h, 403, () => send(h, "/api/settings/save", evilSettings, { ...noCsrf, ...json }));
      await refused(
        h,
        403,
        () => send(h, "/api/settings/save", evilSettings, { ...noCsrf, ...json, "x-lodge-csrf": "" }),
      );
      await refused(h, 403, () =>
        send(h, "/api/settings/save", evilSettings, {
          ...noCsrf,
          ...json,
          "x-lodge-csrf": browser.csrf.slice(0, -1) + (browser.csrf.endsWith("A") ? "B" : "A"),
        }));
      // Another browser's CSRF value does not fit this session.
      const other = await signIn(h.url, h.token);
      await refused(
        h,
        403,
        () =>
          send(h, "/api/settings/save", evilSettings, {
            ...browser.headers,
            ...json,
            "x-lodge-csrf": other.csrf,
          }),
      );
    });

    await t.step("POST /rpc with the cookie needs the same proof", async () => {
      const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "secrets.write", params: ["x", "y"] });
      const json = { "content-type": "application/json" };
      await refused(
        h,
        403,
        () => send(h, "/rpc", call, { cookie, origin: EVIL, "content-type": "text/plain" }),
      );
      // With the token, a body that is not JSON is the transport's 415 with a JSON-RPC error.
      const plain = await send(h, "/rpc", call, {
        authorization: `Bearer ${h.token}`,
        "content-type": "text/plain",
      });
      assert.equal(plain.status, 415);
      assert.equal(plain.body.error.code, -32600);
      await refused(h, 403, () => send(h, "/rpc", call, { ...browser.headers, ...json, origin: EVIL }));
      const { "x-lodge-csrf": _, ...noCsrf } = browser.headers;
      await refused(h, 403, () => send(h, "/rpc", call, { ...noCsrf, ...json }));
    });

    await t.step("the page's own requests work: own Origin (or Sec-Fetch-Site) plus CSRF", async () => {
      const json = { "content-type": "application/json" };
      const ok = await send(h, "/api/settings/save", JSON.stringify({ theme: "page" }), {
        ...browser.headers,
        ...json,
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(JSON.parse((await h.post("/api/settings/get", {})).body.settings).theme, "page");
      const { origin: _, ...sameOrigin } = browser.headers;
      const viaFetchSite = await send(h, "/api/chats/recent", "{}", { ...sameOrigin, ...json });
      assert.equal(viaFetchSite.status, 200);
      const rpc = await send(
        h,
        "/rpc",
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getMessageCount", params: [] }),
        { ...browser.headers, ...json },
      );
      assert.equal(rpc.status, 200);
      assert.equal(typeof rpc.body.result, "number");
    });

    await t.step("bearer requests need no Origin or CSRF, but still a JSON body", async () => {
      const res = await send(h, "/api/chats/recent", "{}", {
        authorization: `Bearer ${h.token}`,
        origin: EVIL,
        "content-type": "application/json",
      });
      assert.equal(res.status, 200);
      await refused(h, 415, () =>
        send(h, "/api/settings/save", evilSettings, {
          authorization: `Bearer ${h.token}`,
          "content-type": "text/plain",
        }));
    });

    await t.step("multipart is accepted only on the upload routes", async () => {
      const form = new FormData();
      form.set("avatar", new Blob(["{}"], { type: "application/json" }), "card.json");
      const multipart = (path: string) => h.request(path, { method: "POST", rawBody: form });
      await refused(h, 415, () => multipart("/api/settings/save"));
      await refused(h, 415, () => multipart("/api/chats/save"));
      for (const path of ["/api/characters/import", "/api/chats/import", "/api/worldinfo/import"]) {
        assert.notEqual((await multipart(path)).status, 415, path);
      }
      // A cross-origin form post to an upload route still needs the cookie proof.
      const evilForm = new FormData();
      evilForm.set("avatar", new Blob(["{}"]), "card.json");
      await refused(h, 403, () =>
        request(h.url, "/api/characters/import", {
          method: "POST",
          headers: { cookie, origin: EVIL },
          rawBody: evilForm,
        }));
    });
    assert.equal(fake.requests.length, 0);
  } finally {
    await fake.close();
    await h.close();
  }
});

Deno.test("sessions: one per browser, signed, kept across a restart, ended by a new token", async (t) => {
  const token = crypto.randomUUID();
  let h = await startTestHost({ token, keepData: true });
  const dataDir = h.dataDir;
  try {
    const a = await signIn(h.url, h.token);
    const b = await signIn(h.url, h.token);

    await t.step("two sign-ins get different sessions and different CSRF values", () => {
      assert.notEqual(a.cookie, b.cookie);
      assert.notEqual(a.csrf, b.csrf);
      assert.ok(!a.cookie.includes(token) && !a.csrf.includes(token));
    });

    await t.step("a tampered or unsigned cookie is 401", async () => {
      const [name, value] = a.cookie.split("=");
      const parts = value.split(".");
      const forged = [
        `${name}=${parts[0]}.${parts[1]}x.${parts[2]}`,
        `${name}=${parts[0]}.${parts[1]}.${parts[2].slice(0, -2)}`,
        `${name}=${parts[0]}.${parts[1]}.${b.cookie.split(".")[2]}`,
        `${name}=${parts[1]}`,
        `${name}=${value}.x`,
      ];
      for (const cookie of forged) {
        await refused(
          h,
          401,
          () =>
            send(h, "/api/chats/recent", "{}", { ...a.headers, cookie, "content-type": "application/json" }),
        );
      }
    });

    await t.step("/?token= sets the cookie and redirects to / without the token", async () => {
      const login = await request(h.url, `/?token=${token}&x=1`);
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("location"), "/");
      const setCookie = login.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      assert.match(setCookie, /Path=\//);
    });

    await t.step("/ without a session explains how to get in and shows no data", async () => {
      await h.post("/api/chats/save", {
        avatar_url: "Quiet.png",
        file_name: "c",
        chat: [{}, { mes: "private words" }],
      });
      for (const headers of [{}, { cookie: "lodge_session=forged" }] as Record<string, string>[]) {
        const page = await request(h.url, "/", { headers });
        assert.equal(page.status, 200);
        const html = String(page.body);
        assert.equal(csrfOf(html), null);
        assert.match(html, /\?token=/);
        assert.match(html, /token/);
        assert.ok(!html.includes("private words"));
      }
      const signedIn = await request(h.url, "/", { headers: { cookie: a.cookie } });
      assert.match(String(signedIn.body), /^<!doctype html>\s*<html[^>]*><head><meta name="lodge-csrf"/i);
      assert.equal(signedIn.headers.get("x-frame-options"), "DENY");
      assert.equal(signedIn.headers.get("cache-control"), "no-store");
    });

    await t.step("a restart with the same token keeps the sessions", async () => {
      await h.close();
      h = await startTestHost({ token, dataDir });
      const res = await send(h, "/api/settings/save", JSON.stringify({ after: "restart" }), {
        ...a.headers,
        origin: h.url,
        "content-type": "application/json",
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    await t.step("a new token ends every session", async () => {
      await h.close();
      h = await startTestHost({ token: crypto.randomUUID(), dataDir });
      const res = await send(h, "/api/chats/recent", "{}", {
        ...a.headers,
        origin: h.url,
        "content-type": "application/json",
      });
      assertError(res, 401);
    });
  } finally {
    await h.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("WebSocket upgrades need the host's own Origin or the bearer token", async (t) => {
  const h = await startTestHost();
  try {
    const browser = await signIn(h.url, h.token);
    const hostHeader = new URL(h.url).host;
    const upgrade = (headers: Record<string, string>) =>
      rawHttp(
        h.host.port,
        `GET /rpc HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
          Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n",
      );

    await t.step("the cookie from another origin, or with no Origin, is 403", async () => {
      for (
        const headers of [{ cookie: browser.cookie, origin: EVIL }, { cookie: browser.cookie }] as Record<
          string,
          string
        >[]
      ) {
        const before = await snapshotSecrets(h);
        const { result, p99Ms } = await healthDuring(h.url, () => upgrade(headers));
        assert.equal(result.status, 403, result.text);
        assert.ok(!result.text.includes("101 Switching"));
        assert.deepEqual(await snapshotSecrets(h), before);
        assert.ok(p99Ms < 100, `/healthz p99 ${p99Ms.toFixed(1)} ms`);
      }
      assert.equal((await upgrade({ origin: h.url })).status, 401);
    });

    await t.step("the cookie from the host's own page, and the bearer token, open a socket", async () => {
      for (
        const headers of [{ cookie: browser.cookie, origin: h.url }, { authorization: `Bearer ${h.token}` }]
      ) {
        const socket = new WebSocket(`${h.url.replace("http", "ws")}/rpc`, { headers } as never);
        const answer = await new Promise<unknown>((resolve, reject) => {
          socket.onopen = () =>
            socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getMessageCount", params: [] }));
          socket.onmessage = (event) => resolve(JSON.parse(String(event.data)));
          socket.onerror = () => reject(new Error("socket refused"));
        });
        assert.equal(typeof (answer as { result: unknown }).result, "number");
        const closed = new Promise((resolve) => socket.onclose = resolve);
        socket.close();
        await closed;
      }
    });
  } finally {
    await h.close();
  }
});

async function snapshotSecrets(h: TestHost) {
  return {
    list: (await h.post("/api/secrets/list", {})).body,
    settings: (await h.post("/api/settings/get", {})).body,
  };
}
