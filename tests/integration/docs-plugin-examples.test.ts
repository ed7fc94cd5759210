/**
 * The plugin examples of README.md and docs/ run as written inside a plugin's worker against a real host:
 * every `js` block without a flag (`js runnable` blocks are whole plugins, run by docs-examples.test.ts;
 * `js fragment` blocks are code of another place: a browser page, a panel, a SillyTavern extension's
 * module). Each page's examples run in page order in a fresh worker of the plugin `my-plugin`, each as the
 * body of an async function with `ctx = Luker.getContext()`, on a chat reset before each one to the same
 * start: the first character's chat open with a greeting of two swipes and two exchanges after it. The
 * names the examples use exist, as a user's would: a group, the world book `My World`, the preset
 * `Summaries`, the connection profile `Local` (a loopback OpenAI-style server), the bundled search plugin
 * with a provider (a loopback SearXNG-style server whose results link back to it); a dialog is answered
 * with OK. An example must resolve without an error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createSocketClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { REPO_ROOT, startTestHost } from "../support/host.ts";
import { type Example, fencedBlocks } from "../support/markdown.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";

const ID = "my-plugin";
const RUN = "docs_example_run";

async function pages(): Promise<Example[][]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(join(REPO_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  const out: Example[][] = [];
  for (const file of files.sort()) {
    const blocks = fencedBlocks(file, await Deno.readTextFile(join(REPO_ROOT, file)))
      .filter((e) => e.lang === "js" && e.flags.length === 0);
    if (blocks.length > 0) out.push(blocks);
  }
  return out;
}

/** The plugin for one page: every example as an async function, run one at a time on the probe event. */
function pagePlugin(examples: Example[]): string {
  return `
const ctx = Luker.getContext();
const examples = [
${examples.map((e) => `  // ${e.file}:${e.line}\n  async () => {\n${e.code}\n  },`).join("\n")}
];
ctx.eventSource.on(${JSON.stringify(RUN)}, async (payload) => {
  if (payload.page !== ${JSON.stringify(examples[0].file)}) return;
  if (payload.index === -1) return void (payload.ready = true);
  try {
    await examples[payload.index]();
    payload.ok = true;
  } catch (error) {
    payload.error = String(error?.stack ?? error);
  }
});
`;
}

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

Deno.test("every plugin example of README.md and docs/ runs in a plugin against a real host", async (t) => {
  const all = await pages();
  assert.ok(all.some((page) => page[0].file === "docs/api.md"));
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-docs-plugin-examples-" });
  const write = (examples: Example[]) =>
    writePluginFolder(dataDir, {
      id: ID,
      manifest: { permissions: { orderConfig: true } },
      files: { "index.js": pagePlugin(examples) },
    });
  await write(all[0]);
  const host = await startTestHost({ dataDir, bundledPlugins: true });
  const lodge = host.host.lodge;
  const admin = lodge.plugins!;
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
      entries: { 0: { uid: 0, key: ["dragon"], content: "A dragon sleeps under the hill." } },
    });
    const preset = await ws.call("presets.getStored", { collection: "openai", name: "Default" });
    await ws.call("presets.save", { collection: "openai", name: "Summaries" }, {
      ...preset as Record<string, unknown>,
      temperature: 0.3,
    });
    await host.post("/api/groups/create", { name: "Tavern", members: [lodge.characters.all()[0].avatar] });
    if (admin.list().find((p) => p.id === ID)?.state === "pending") await admin.accept(ID);

    const run = async (page: string, index: number) =>
      (await ws.call("eventSource.emit", RUN, { page, index }) as [Record<string, unknown>])[0];
    for (const [n, examples] of all.entries()) {
      const page = examples[0].file;
      if (n > 0) {
        await write(examples);
        await admin.reload(ID);
      }
      const deadline = Date.now() + 20_000;
      while (!(await run(page, -1)).ready) {
        const info = admin.list().find((p) => p.id === ID);
        assert.ok(Date.now() < deadline, `the plugin did not start for ${page}: ${JSON.stringify(info)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const [index, example] of examples.entries()) {
        await t.step(`${example.file}:${example.line}`, async () => {
          await ws.call("selectCharacterById", 0);
          const record = lodge.context.record!;
          const greeting = lodge.context.getMessage(0)!;
          const user = (mes: string) => ({
            name: "User",
            is_user: true,
            mes,
            send_date: greeting.send_date,
            extra: {},
          });
          const reply = (mes: string) => ({ ...greeting, mes, swipes: [mes], swipe_id: 0 });
          const res = await host.post("/api/chats/save", {
            avatar_url: record.key.owner,
            file_name: record.key.file,
            force: true,
            chat: [
              { chat_metadata: {} },
              { ...greeting, mes: "Hello", swipes: ["Hello", "Hi there"], swipe_id: 0 },
              user("Hi"),
              reply("How can I help?"),
              user("Tell me about the dragon"),
              reply("It sleeps."),
            ],
          });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          const outcome = await run(page, index);
          assert.ok(outcome.ok, `${example.code}\n${outcome.error}`);
        });
      }
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
