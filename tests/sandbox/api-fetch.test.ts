/**
 * A SillyTavern extension's `fetch("/api/...")` is served by the host as the calling plugin: the routes
 * whose work a plugin may do answer as they answer the user, a write goes through the one write path (a
 * socket client sees its event), the others are refused with 403 and a reason, unknown paths are 404,
 * no credential is ever added or seen, and hostile paths reach nothing else. Real host, real workers.
 */

import assert from "node:assert/strict";
import { createSocketClient } from "../../rpc/client.ts";
import { startTestHost, type TestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { startGenerationHost, waitFor } from "../support/generation-host.ts";
import type { PluginRoutes } from "../../web/plugin-routes.ts";

/** A SillyTavern extension that offers its `fetch` to the test as an extension API. */
const FETCHER = `
import { getRequestHeaders } from "../../../../script.js";
import { getContext } from "../../../extensions.js";

const read = async (res) => {
  const headers = {};
  res.headers.forEach((value, name) => { headers[name] = value; });
  return { status: res.status, ok: res.ok, response: res instanceof Response, headers, text: await res.text() };
};
const settle = (pending) => pending.then(read, (e) => ({ error: e.name + ": " + e.message }));

jQuery(() => {
  getContext().registerExtensionApi("fetcher", {
    // the usual SillyTavern call
    post: (path, body) =>
      settle(fetch(path, { method: "POST", headers: getRequestHeaders(), body: JSON.stringify(body ?? {}) })),
    // any other form: the init as given
    fetch: (input, init) => settle(fetch(input, init)),
    // a Request object, and a URL of the worker's own origin
    request: (path, body) =>
      settle(fetch(new Request(path, { method: "POST", headers: getRequestHeaders(), body: JSON.stringify(body) }))),
    url: (path, body) =>
      settle(fetch(new URL(path, location.href), { method: "POST", headers: getRequestHeaders(), body: JSON.stringify(body) })),
    headers: () => getRequestHeaders(),
    // the last message of the plugin's own mirror of the open chat
    lastMessage: () => getContext().chat.at(-1)?.mes,
  });
  console.log("fetcher ready");
});
`;

interface Fetched {
  status: number;
  ok: boolean;
  response: boolean;
  headers: Record<string, string>;
  text: string;
  error?: string;
}

async function startFetcherHost(): Promise<TestHost> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-api-fetch-" });
  await writePluginFolder(dataDir, {
    id: "st-fetcher",
    manifest: { display_name: "Fetcher", loading_order: 1, requires: [], optional: [], js: "index.js" },
    files: { "index.js": FETCHER },
  });
  const host = await startTestHost({ dataDir });
  const close = host.close;
  host.close = async () => {
    await close();
    await Deno.remove(dataDir, { recursive: true });
  };
  return host;
}

Deno.test("an extension's fetch('/api/...') runs the route as the plugin, through the route table", async (t) => {
  const host = await startFetcherHost();
  const client = await createSocketClient(`${host.url}/rpc`, { token: host.token });
  try {
    const lodge = host.host.lodge;
    await waitFor(() => lodge.extensions.get("fetcher") !== undefined, "the fetcher's API");
    const call = (method: string, ...args: unknown[]) =>
      client.call("extensions.call", "fetcher", method, args) as Promise<Fetched>;
    const post = (path: string, body?: unknown) => call("post", path, body);
    const chat = lodge.chats.list({ kind: "character" })[0].key;
    const target = { avatar_url: chat.owner, file_name: chat.file };

    await t.step("reads answer what the routes answer the user", async () => {
      const characters = await post("/api/characters/all");
      assert.equal(characters.status, 200, characters.text);
      assert.equal(characters.response, true);
      assert.match(characters.headers["content-type"], /^application\/json/);
      assert.deepEqual(JSON.parse(characters.text), (await host.post("/api/characters/all", {})).body);
      const messages = await post("/api/chats/get", target);
      assert.equal(messages.status, 200, messages.text);
      assert.deepEqual(JSON.parse(messages.text), (await host.post("/api/chats/get", target)).body);
      // the same through a Request object and a URL of the worker's own origin
      const viaRequest = await call("request", "/api/chats/get", target);
      assert.deepEqual(JSON.parse(viaRequest.text), JSON.parse(messages.text));
      const viaUrl = await call("url", "/api/characters/all", {});
      assert.deepEqual(JSON.parse(viaUrl.text), JSON.parse(characters.text));
      // SillyTavern's token count route, which extensions call for a prompt's size
      const messages2 = [{ role: "user", content: "Hello there" }];
      const counted = await post("/api/tokenizers/openai/count?model=gpt-4o", messages2);
      assert.equal(counted.status, 200, counted.text);
      assert.deepEqual(
        JSON.parse(counted.text),
        (await host.post("/api/tokenizers/openai/count?model=gpt-4o", messages2)).body,
      );
      assert.deepEqual(JSON.parse(counted.text), { token_count: 9 });
    });

    await t.step("a write goes through the one write path: a socket client sees its event", async () => {
      const seen: unknown[] = [];
      await client.on("message_sent", (...args) => void seen.push(args));
      const before = lodge.chats.get(target)!.length;
      const appended = await post("/api/chats/append", {
        ...target,
        messages: [{ name: "User", is_user: true, mes: "written by fetch", send_date: "2026-01-01" }],
      });
      assert.equal(appended.status, 200, appended.text);
      assert.equal(lodge.chats.get(target)!.length, before + 1);
      assert.equal((lodge.chats.get(target)!.at(-1) as { mes: string }).mes, "written by fetch");
      await waitFor(() => seen.length > 0, "message_sent on the socket");
      // the plugin's own mirror follows (the patch may trail the answer by a moment)
      let last: unknown;
      for (let i = 0; i < 100 && last !== "written by fetch"; i++) {
        last = await client.call("extensions.call", "fetcher", "lastMessage", []);
        if (last !== "written by fetch") await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(last, "written by fetch");
    });

    await t.step("routes whose work no plugin may do are refused with 403 and the reason", async () => {
      const refused: [string, unknown, RegExp][] = [
        ["/api/secrets/list", {}, /secrets\.list, which only the UI and tools with the token may call/],
        ["/api/secrets/write", { key: "api_key_openai", value: "x" }, /secrets\.write/],
        ["/api/settings/get", {}, /settings\.get/],
        ["/api/presets/delete", { apiId: "openai", name: "Default" }, /presets\.delete/],
        ["/api/characters/import", {}, /uploaded file/],
        ["/api/chats/import", {}, /uploaded file/],
        ["/api/worldinfo/import", {}, /uploaded file/],
        ["/api/characters/export", { avatar_url: chat.owner, format: "json" }, /exports are for the user/],
        ["/api/chats/delete", target, /deletes a chat/],
        ["/api/characters/delete", { avatar_url: chat.owner }, /characters/],
      ];
      for (const [path, body, reason] of refused) {
        const answer = await post(path, body);
        assert.equal(answer.status, 403, `${path}: ${answer.text}`);
        const { error, message } = JSON.parse(answer.text);
        assert.equal(error, "forbidden");
        assert.match(message, new RegExp(`^POST ${path.replaceAll("/", "\\/")} is not open to plugins: `));
        assert.match(message, reason, path);
      }
      assert.equal((await lodge.secrets.list()).length, 0, "nothing was written");
      assert.ok(lodge.chats.get(target), "the chat is still there");
    });

    await t.step("unknown routes are 404", async () => {
      for (
        const path of [
          "/api/nothing",
          "/api/characters/all/",
          "/api/chats/Get",
          "/api/tokenizers/llama/encode",
        ]
      ) {
        const answer = await post(path);
        assert.equal(answer.status, 404, path);
        assert.match(JSON.parse(answer.text).error, /^no route POST /);
      }
      const get = await call("fetch", "/api/characters/all", { method: "GET" });
      assert.equal(get.status, 404, "the route is POST only");
    });

    await t.step("the plugin never sends or sees a credential", async () => {
      assert.deepEqual(await client.call("extensions.call", "fetcher", "headers", []), {
        "Content-Type": "application/json",
      });
      // credentials the plugin adds itself do not reach the route (a guessed token changes nothing)
      const guessed = await call("fetch", "/api/secrets/list", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${host.token}` },
        body: "{}",
      });
      assert.equal(guessed.status, 403);
      const answer = await post("/api/characters/all");
      assert.equal(answer.headers["set-cookie"], undefined);
      assert.ok(!answer.text.includes(host.token));
      assert.ok(!JSON.stringify(answer.headers).includes(host.token));
    });

    await t.step("hostile paths reach nothing else", async () => {
      const cases: [unknown, RegExp | number][] = [
        ["/api/../rpc", /NoPageError: fetch\("\/rpc"\)/],
        ["/api/%2e%2e/rpc", /NoPageError: fetch\("\/rpc"\)/],
        ["/api/chats%2Fget", 404],
        ["/api/chats/..%2F..%2Frpc", 404],
        ["/api//characters/all", 404],
        ["/api/characters/all?x=/../../rpc", 200],
        ["/rpc", /NoPageError: fetch\("\/rpc"\)/],
        ["/csrf-token", /NoPageError/],
        // another origin is the worker's own fetch, under the plugin's net grants (none)
        ["//127.0.0.1:1/api/characters/all", /Error/],
        [`${host.url}/api/characters/all`, /NotCapable|PermissionDenied|Requires net access/],
      ];
      for (const [input, expected] of cases) {
        const answer = await call("fetch", input, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        if (typeof expected === "number") {
          assert.equal(answer.status, expected, `${input}: ${JSON.stringify(answer)}`);
        } else assert.match(answer.error ?? "", expected, `${input}: ${JSON.stringify(answer)}`);
      }
    });

    await t.step("bodies are checked as the route checks them", async () => {
      const bad = await call("fetch", "/api/chats/get", {
        method: "POST",
        headers: getJson(),
        body: "{not json",
      });
      assert.equal(bad.status, 400);
      const typed = await call("fetch", "/api/chats/get", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "{}",
      });
      assert.equal(typed.status, 415);
    });
    await t.step("the routes apply their methods' own checks to the plugin", async () => {
      const serve = (pluginId: string, path: string, body: unknown) =>
        lodge.api!.serve(pluginId, {
          method: "POST",
          path,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      // a namespace of another plugin: neither written nor (unshared) read, as patchChatState / getChatState
      const op = [{ op: "add", path: "/n", value: 1 }];
      const state = { ...target, namespace: "st-fetcher", operations: op };
      const intruder = await serve("intruder", "/api/chats/state/patch", state);
      assert.equal(intruder.status, 403, intruder.body);
      assert.match(JSON.parse(intruder.body).message, /belongs to plugin st-fetcher: only it may write it/);
      const peek = await serve("intruder", "/api/characters/state/get", {
        avatar_url: chat.owner,
        namespace: "st-fetcher",
      });
      assert.equal(peek.status, 403, peek.body);
      assert.equal((await serve("st-fetcher", "/api/chats/state/patch", state)).status, 200);
      // a preset saved by a plugin keeps its connection fields, as presets.save
      const stored = lodge.presets.getStored({ collection: "openai", name: "Default" })!;
      const saved = await serve("st-fetcher", "/api/presets/save", {
        apiId: "openai",
        name: "Default",
        preset: {
          ...stored,
          temperature: 0.25,
          chat_completion_source: "custom",
          custom_url: "http://127.0.0.1:9",
        },
      });
      assert.equal(saved.status, 200, saved.body);
      const after = lodge.presets.getStored({ collection: "openai", name: "Default" })!;
      assert.equal(after.temperature, 0.25);
      assert.equal(after.chat_completion_source, stored.chat_completion_source);
      assert.equal(after.custom_url, stored.custom_url);
      // a generation to a custom URL the user did not set up, as sendOpenAIRequest
      const messages = [{ role: "user", content: "Hi" }];
      const elsewhere = await serve("st-fetcher", "/api/backends/chat-completions/generate", {
        messages,
        chat_completion_source: "custom",
        custom_url: "http://127.0.0.1:9/v1",
      });
      assert.equal(elsewhere.status, 403, elsewhere.body);
      assert.match(JSON.parse(elsewhere.body).message, /custom endpoints of the live preset/);
      const reply = await post("/api/backends/chat-completions/generate", { messages });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(JSON.parse(reply.text).object, "chat.completion");
      // a streamed answer arrives whole: every server-sent event, then [DONE]
      const streamed = await post("/api/backends/chat-completions/generate", { messages, stream: true });
      assert.equal(streamed.status, 200, streamed.text);
      assert.match(streamed.headers["content-type"], /^text\/event-stream/);
      assert.match(streamed.text, /^data: \{"id":"chatcmpl-/);
      assert.match(streamed.text, /data: \[DONE\]\s*$/);
    });
  } finally {
    await client.close();
    await host.close();
  }
});

/** Starts a fetch of an /api route and aborts it after \`ms\`; answers how the fetch ended. */
const ABORTER = `
import { getRequestHeaders } from "../../../../script.js";
import { getContext } from "../../../extensions.js";
jQuery(() => {
  getContext().registerExtensionApi("aborter", {
    run: async (path, body, ms) => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), ms);
      try {
        const res = await fetch(path, { method: "POST", headers: getRequestHeaders(), body: JSON.stringify(body), signal: controller.signal });
        return { status: res.status, text: await res.text() };
      } catch (e) {
        return { error: e.name, after: Date.now() - started };
      }
    },
  });
});
`;

Deno.test("aborting an extension's fetch('/api/...') stops the route's work on the host", async () => {
  await using g = await startGenerationHost({
    plugins: [{
      id: "st-aborter",
      manifest: { display_name: "Aborter", loading_order: 1, requires: [], optional: [], js: "index.js" },
      files: { "index.js": ABORTER },
    }],
  });
  await waitFor(() => g.lodge.extensions.get("aborter") !== undefined, "the aborter's API");
  const run = (path: string, body: unknown, ms: number) =>
    g.rpc.call("extensions.call", "aborter", "run", [path, body, ms]) as Promise<Record<string, unknown>>;
  const generate = "/api/backends/chat-completions/generate";
  const messages = [{ role: "user", content: "tell me a story" }];

  // the upstream stream stalls after two chunks until its client goes away: only an abort ends it
  g.fake.enqueue({ kind: "reply", content: ["once", " upon", " a", " time"], stallAfter: 2 });
  const cancelled = g.fake.cancelledStreams;
  const requests = g.fake.requests.length;
  const ended = await run(generate, { messages, stream: true }, 500);
  assert.equal(ended.error, "AbortError", JSON.stringify(ended));
  assert.equal(g.fake.requests.length, requests + 1, "the route asked the model");
  await waitFor(() => g.fake.cancelledStreams === cancelled + 1, "the route's upstream stream to stop");

  // the same route still answers a fetch that is not aborted
  g.fake.enqueue({ kind: "reply", content: "whole" });
  const whole = await run(generate, { messages }, 20_000);
  assert.equal(whole.status, 200, JSON.stringify(whole));
  assert.match(String(whole.text), /"whole"/);
});

Deno.test("every /api route declares what plugins may do with it; the docs list the open ones", async () => {
  const host = await startTestHost();
  try {
    const routes = (host.host.lodge.api as PluginRoutes).routes();
    assert.ok(routes.length > 50);
    for (const route of routes) {
      assert.ok(route.methods || route.reason, `${route.method} ${route.path} declares nothing`);
      assert.equal(route.open, route.reason === undefined);
    }
    const docs = await Deno.readTextFile(new URL("../../docs/sillytavern-extensions.md", import.meta.url));
    const listed = new Set([...docs.matchAll(/`(POST|GET) (\/api\/[^`]+)`/g)].map((m) => `${m[1]} ${m[2]}`));
    const open = routes.filter((r) => r.open).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual([...listed].sort(), open.sort(), "docs/sillytavern-extensions.md lists the open routes");
  } finally {
    await host.close();
  }
});

function getJson(): Record<string, string> {
  return { "content-type": "application/json" };
}
