/**
 * The examples of the plugin API reference (`docs/api.md`, its `js` blocks: the hand-written sections and
 * the part generated from the method table) run as written inside a plugin's worker against a real host.
 * Each runs as the body of an async function with `ctx = Luker.getContext()`, on a chat reset before
 * each one to the same start: the first character's chat open with a greeting of two swipes and two
 * exchanges after it. The names the examples use exist, as a user's would: a group, the world book
 * `My World`, the connection profile `Local` (a loopback OpenAI-style server), a search provider (a
 * loopback SearXNG-style server whose results link back to it); a dialog is answered with OK. An
 * example must resolve without an error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createSocketClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { REPO_ROOT, startTestHost } from "../support/host.ts";
import { fencedBlocks } from "../support/markdown.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";

const FILE = "docs/api.md";
const examples = fencedBlocks(FILE, await Deno.readTextFile(join(REPO_ROOT, FILE)))
  .filter((e) => e.lang === "js" && e.flags.length === 0);
const RUN = "api_example_run";

/** The plugin: every example as an async function, run one at a time on the probe event. */
const plugin = `
const ctx = Luker.getContext();
const examples = [
${examples.map((e) => `  // ${e.file}:${e.line}\n  async () => {\n${e.code}\n  },`).join("\n")}
];
ctx.eventSource.on(${JSON.stringify(RUN)}, async (payload) => {
  if (payload.index === -1) return void (payload.ready = true);
  try {
    await examples[payload.index]();
    payload.ok = true;
  } catch (error) {
    payload.error = String(error?.stack ?? error);
  }
});
`;

/** A loopback server answering SearXNG's JSON search with results that link to its own page. */
function startSearchProvider() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/search") {
      const results = [{ title: "Deno workers", url: `${url.origin}/page`, content: "about workers" }];
      return Response.json({ query: url.searchParams.get("q"), results });
    }
    return new Response("<title>Workers</title><p>Workers run JavaScript off the main thread.</p>", {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
  return { server, base: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("every js example of docs/api.md runs in a plugin against a real host", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-api-examples-" });
  await writePluginFolder(dataDir, {
    id: "my-plugin",
    manifest: { permissions: { orderConfig: true } },
    files: { "index.js": plugin },
  });
  const host = await startTestHost({ dataDir });
  const lodge = host.host.lodge;
  const ws = await createSocketClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
  const llm = FakeOpenAI.start();
  const search = startSearchProvider();
  // the user answers every dialog with OK
  const answering = setInterval(() => {
    for (const dialog of lodge.dialogs.list()) lodge.dialogs.answer(dialog.id, 1);
  }, 20);
  try {
    await lodge.settings.patch([{
      op: "add",
      path: "/extension_settings",
      value: { search: { provider_url: search.base, allow_private_addresses: true } },
    }]);
    await ws.call("connectionProfiles.save", {
      name: "Local",
      api: "custom",
      "api-url": llm.url,
      model: "fake-model",
    });
    await ws.call("saveWorldInfo", "My World", {
      entries: { 0: { uid: 0, key: ["dragon"], content: "A dragon." } },
    });
    if (lodge.plugins!.list().find((p) => p.id === "my-plugin")?.state === "pending") {
      await lodge.plugins!.accept("my-plugin");
    }
    const run = async (index: number) =>
      (await ws.call("eventSource.emit", RUN, { index }) as [Record<string, unknown>])[0];
    const deadline = Date.now() + 20_000;
    while (!(await run(-1)).ready) {
      const info = lodge.plugins!.list().find((p) => p.id === "my-plugin");
      assert.ok(Date.now() < deadline, `the plugin did not start: ${JSON.stringify(info)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const avatar = lodge.characters.all()[0].avatar;
    await host.post("/api/groups/create", { name: "Tavern", members: [avatar] });
    for (const [index, example] of examples.entries()) {
      await t.step(`${example.file}:${example.line}`, async () => {
        await ws.call("selectCharacterById", 0);
        const record = lodge.context.record!;
        const greeting = lodge.context.getMessage(0)!;
        const res = await host.post("/api/chats/save", {
          avatar_url: record.key.owner,
          file_name: record.key.file,
          force: true,
          chat: [
            { chat_metadata: {} },
            { ...greeting, mes: "Hello", swipes: ["Hello", "Hi there"], swipe_id: 0 },
            { name: "User", is_user: true, mes: "Hi", send_date: greeting.send_date, extra: {} },
            { ...greeting, mes: "How can I help?", swipes: ["How can I help?"], swipe_id: 0 },
            {
              name: "User",
              is_user: true,
              mes: "Tell me about the dragon",
              send_date: greeting.send_date,
              extra: {},
            },
            { ...greeting, mes: "It sleeps.", swipes: ["It sleeps."], swipe_id: 0 },
          ],
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const outcome = await run(index);
        assert.ok(outcome.ok, `${example.code}\n${outcome.error}`);
      });
    }
  } finally {
    clearInterval(answering);
    await search.server.shutdown();
    await llm.close();
    await ws.close();
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
