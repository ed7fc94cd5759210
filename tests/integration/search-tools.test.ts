/**
 * The search tools against loopback servers: a SearXNG-shaped provider, pages visited with the
 * private-address allowance on (title, text, truncation), and visits refused for loopback, private,
 * link-local and metadata addresses when it is off, via a redirect and via a name resolving to loopback.
 */

import assert from "node:assert/strict";
import type { Lodge } from "../../core/lodge.ts";
import { refusalReason, visitPage } from "../../core/search/mod.ts";
import { startGenerationHost } from "../support/generation-host.ts";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";

const BUNDLED = new URL("../../plugins/bundled/search/", import.meta.url);

/** The bundled search plugin as a plugin folder fixture. */
async function bundledSearch() {
  return {
    id: "search",
    manifest: JSON.parse(await Deno.readTextFile(new URL("manifest.json", BUNDLED))),
    files: { "index.js": await Deno.readTextFile(new URL("index.js", BUNDLED)) },
  };
}

/** Another plugin reaching the search tools through \`Luker.searchTools\` once they are registered. */
const READER = `
const wait = () => new Promise((r) => setTimeout(r, 20));
(async () => {
  while (!Luker.searchTools) await wait();
  const tools = Luker.searchTools;
  let found;
  // The test sets the provider once the plugins run; until then a search is "unavailable".
  while (!found) found = await tools.search({ query: "from reader", max_results: 2 }).catch(wait);
  const invoked = await tools.invoke(tools.toolNames.SEARCH, { query: "invoked", max_results: 1 });
  console.log("reader " + JSON.stringify({
    names: tools.toolNames,
    defs: (await tools.getToolDefs()).map((d) => d.name),
    isTool: await tools.isToolName("luker_web_visit"),
    notTool: await tools.isToolName("other"),
    titles: found.results.map((r) => r.title),
    invoked: invoked.results.length,
  }));
})();
`;

/** A loopback server answering SearXNG's JSON search and a few pages; records the queries. */
function startWeb() {
  const queries: URLSearchParams[] = [];
  const long = "word ".repeat(3_000);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/search") {
      queries.push(url.searchParams);
      const results = Array.from({ length: 30 }, (_, i) => ({
        title: `Result ${i}`,
        url: `https://example.org/${i}`,
        content: `about ${url.searchParams.get("q")} ${i}`,
        engine: "test",
      }));
      return Response.json({ query: url.searchParams.get("q"), results });
    }
    const html = (body: string) =>
      new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
    if (url.pathname === "/page") {
      return html(
        `<html><head><title>Caf&eacute; &amp; Tea</title><style>p{color:red}</style>` +
          `<script>var secret = "not text";</script></head><body><h1>Menu</h1>` +
          `<p>Espresso &mdash; 2&euro;</p><p><a href="/x">More</a></p></body></html>`,
      );
    }
    if (url.pathname === "/long") return html(`<title>Long</title><p>${long}</p>`);
    if (url.pathname === "/to-metadata") {
      return new Response(null, {
        status: 302,
        headers: { location: "http://169.254.169.254/latest/meta-data/" },
      });
    }
    if (url.pathname === "/to-page") {
      return new Response(null, { status: 301, headers: { location: "/page" } });
    }
    return new Response("not here", { status: 404 });
  });
  return { server, queries, base: `http://127.0.0.1:${server.addr.port}` };
}

async function configure(lodge: Lodge, search: Record<string, unknown>) {
  await lodge.settings.patch([{ op: "add", path: "/extension_settings", value: { search } }]);
}

Deno.test("search and visit through the routes and RPC", async (t) => {
  const web = startWeb();
  const host = await startTestHost();
  try {
    await configure(host.host.lodge, { provider_url: web.base, allow_private_addresses: true });

    await t.step("search reaches the configured provider and caps the results", async () => {
      const res = await host.post("/api/plugins/search/search", {
        query: "lodge deno",
        max_results: 3,
        safe_search: "strict",
        time_range: "week",
        region: "en-US",
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.query, "lodge deno");
      assert.deepEqual(res.body.results.map((r: { title: string }) => r.title), [
        "Result 0",
        "Result 1",
        "Result 2",
      ]);
      assert.equal(res.body.results[0].content, "about lodge deno 0");
      const q = web.queries.at(-1)!;
      assert.equal(q.get("format"), "json");
      assert.equal(q.get("safesearch"), "2");
      assert.equal(q.get("time_range"), "week");
      assert.equal(q.get("language"), "en-US");
    });

    await t.step("bad search input is a 400 and reaches no provider", async () => {
      const before = web.queries.length;
      const res = await host.post("/api/plugins/search/search", { query: "x", max_results: 21 });
      assert.equal(res.status, 400);
      assert.equal((await host.post("/api/plugins/search/search", { query: "" })).status, 400);
      assert.equal(web.queries.length, before);
    });

    await t.step("visit returns title and readable text", async () => {
      const res = await host.post("/api/plugins/search/visit", { url: `${web.base}/to-page` });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.url, `${web.base}/page`, "the redirect was followed");
      assert.equal(res.body.title, "Café & Tea");
      assert.match(res.body.text, /Menu/);
      assert.match(res.body.text, /Espresso — 2€/);
      assert.doesNotMatch(res.body.text, /secret|color:red|\/x/);
      assert.equal(res.body.truncated, false);
      assert.equal(res.body.total_chars, res.body.text.length);
    });

    await t.step("visit truncates to max_chars", async () => {
      const res = await host.post("/api/plugins/search/visit", { url: `${web.base}/long`, max_chars: 500 });
      assert.equal(res.status, 200);
      assert.equal(res.body.text.length, 500);
      assert.equal(res.body.truncated, true);
      assert.ok(res.body.total_chars > 10_000);
    });

    await t.step("the byte cap stops reading a large page", async () => {
      await configure(host.host.lodge, {
        provider_url: web.base,
        allow_private_addresses: true,
        max_bytes: 1_000,
      });
      const res = await host.post("/api/plugins/search/visit", {
        url: `${web.base}/long`,
        max_chars: 100_000,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.truncated, true);
      assert.ok(res.body.total_chars < 1_000);
    });

    await t.step("RPC methods answer the same", async () => {
      const page = await host.post("/rpc", {
        jsonrpc: "2.0",
        id: 1,
        method: "search.visit",
        params: [{ url: `${web.base}/page`, max_chars: 200 }],
      });
      assert.equal(page.body.result?.title, "Café & Tea", JSON.stringify(page.body));
      const found = await host.post("/rpc", {
        jsonrpc: "2.0",
        id: 2,
        method: "search.search",
        params: [{ query: "rpc" }],
      });
      assert.equal(found.body.result?.results.length, 5, "max_results defaults to 5");
    });

    await t.step("refused addresses when private addresses are not allowed", async () => {
      await configure(host.host.lodge, { provider_url: web.base });
      const port = web.server.addr.port;
      for (
        const url of [
          `${web.base}/page`,
          `http://localhost:${port}/page`,
          `http://[::1]:${port}/page`,
          `http://[::ffff:127.0.0.1]:${port}/page`,
          "http://10.0.0.1/",
          "http://172.16.5.5/",
          "http://192.168.1.1/",
          "http://169.254.169.254/latest/meta-data/",
          "http://100.64.0.1/",
          "http://0.0.0.0/",
          "http://[fd00:ec2::254]/",
          "http://[fe80::1]/",
          "http://224.0.0.1/",
        ]
      ) {
        const res = await host.post("/api/plugins/search/visit", { url });
        assert.equal(res.status, 403, `${url}: ${JSON.stringify(res.body)}`);
      }
      assert.equal((await host.post("/api/plugins/search/visit", { url: "file:///etc/passwd" })).status, 400);
    });

    await t.step("a redirect to a refused address is refused", async () => {
      // Loopback is allowed explicitly; the redirect to the metadata address still passes the check.
      await configure(host.host.lodge, { provider_url: web.base, allow_addresses: ["127.0.0.0/8"] });
      const allowed = await host.post("/api/plugins/search/visit", { url: `${web.base}/to-page` });
      assert.equal(allowed.status, 200, "the explicitly allowed loopback block is reachable");
      const refused = await host.post("/api/plugins/search/visit", { url: `${web.base}/to-metadata` });
      assert.equal(refused.status, 403);
      assert.match(refused.body.message, /169\.254\.169\.254/);
      const v6 = await host.post("/api/plugins/search/visit", {
        url: `http://[::1]:${web.server.addr.port}/page`,
      });
      assert.equal(v6.status, 403, "::1 is not in an IPv4 block");
    });
  } finally {
    await host.close();
    await web.server.shutdown();
  }
});

Deno.test("a visit connects to the address it checked: a name that rebinds between lookups gains nothing", async () => {
  const web = startWeb();
  // A hostile name server: the first answer passes the check (allowed loopback), every later one points at
  // the metadata address. The name exists only here, so a second lookup by anyone would fail or be caught.
  const realResolve = Deno.resolveDns;
  const lookups: string[] = [];
  const hostile = ((name: string, type: string) => {
    lookups.push(`${name} ${type}`);
    if (type !== "A") return Promise.resolve([]);
    return Promise.resolve([lookups.length === 1 ? "127.0.0.1" : "169.254.169.254"]);
  }) as typeof Deno.resolveDns;
  Object.defineProperty(Deno, "resolveDns", { value: hostile, configurable: true, writable: true });
  try {
    const loopbackOnly = {
      maxChars: 1000,
      maxBytes: 100_000,
      timeoutMs: 5000,
      maxRedirects: 0,
      allowPrivate: false,
      allowAddresses: ["127.0.0.1"],
    };
    const page = await visitPage(`http://rebind.lodge.test:${web.server.addr.port}/page`, loopbackOnly);
    assert.equal(page.title, "Café & Tea", "the page came from the checked loopback address");
    assert.deepEqual(lookups, ["rebind.lodge.test A", "rebind.lodge.test AAAA"], "one lookup, no second");
    // the same name on a later visit now answers the metadata address: refused before connecting
    await assert.rejects(
      visitPage(`http://rebind.lodge.test:${web.server.addr.port}/page`, loopbackOnly),
      /169\.254\.169\.254/,
    );
  } finally {
    Object.defineProperty(Deno, "resolveDns", { value: realResolve, configurable: true, writable: true });
    await web.server.shutdown();
  }
});

Deno.test("address classification", () => {
  for (
    const a of ["127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.127.0.1"]
  ) {
    assert.ok(refusalReason(a), a);
  }
  for (
    const a of ["::1", "fc00::1", "fe80::abcd", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "ff02::1", "::"]
  ) {
    assert.ok(refusalReason(a), a);
  }
  for (const a of ["93.184.215.14", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "8.8.8.8"]) {
    assert.equal(refusalReason(a), null, a);
  }
});

Deno.test("the bundled search plugin: a model calls luker_web_search and Luker.searchTools reaches other workers", async () => {
  const web = startWeb();
  await using g = await startGenerationHost({
    plugins: [await bundledSearch(), { id: "reader", files: { "index.js": READER } }],
  });
  try {
    await configure(g.lodge, { provider_url: web.base });
    g.lodge.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: true }]);

    const reader = await g.result<Record<string, unknown>>("reader", "reader").catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify([g.logs("reader"), g.logs("search")])}`);
    });
    assert.deepEqual(reader.names, { SEARCH: "luker_web_search", VISIT: "luker_web_visit" });
    assert.deepEqual(reader.defs, ["luker_web_search", "luker_web_visit"]);
    assert.equal(reader.isTool, true);
    assert.equal(reader.notTool, false);
    assert.deepEqual(reader.titles, ["Result 0", "Result 1"]);
    assert.equal(reader.invoked, 1);

    g.fake.enqueue(
      {
        kind: "reply",
        toolCalls: [{ id: "call_s", name: "luker_web_search", arguments: '{"query":"deno lodge"}' }],
      },
      { kind: "reply", content: "Found it." },
    );
    const { generation } = await g.rpc.call("sendMessage", "Search the web for lodge");
    assert.equal(generation?.text, "Found it.");
    const [first, second] = g.fake.requests.slice(-2);
    const offered = (first.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
    assert.ok(offered.includes("luker_web_search") && offered.includes("luker_web_visit"), String(offered));
    const sent = second.body.messages as { role: string; content: string | null; tool_call_id?: string }[];
    const result = sent.find((m) => m.role === "tool" && m.tool_call_id === "call_s")!;
    const parsed = JSON.parse(String(result.content));
    assert.equal(parsed.query, "deno lodge");
    assert.equal(parsed.results[0].content, "about deno lodge 0");
    assert.equal(web.queries.at(-1)!.get("q"), "deno lodge", "the host asked the provider");
  } finally {
    await web.server.shutdown();
  }
});

Deno.test("a new data folder runs the bundled search plugin; deleting it uninstalls it", async () => {
  const web = startWeb();
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-bundled-" });
  await writePluginFolder(dataDir, { id: "reader", files: { "index.js": READER } });
  try {
    const host = await startTestHost({ dataDir, bundledPlugins: true });
    try {
      const lodge = host.host.lodge;
      const search = lodge.plugins!.list().find((p) => p.id === "search");
      assert.ok(search, "the bundled plugin is installed");
      assert.equal(search.state, "running", JSON.stringify(search));
      // the host performs searches and visits: the plugin holds no network grant at all
      assert.deepEqual(search.grants.net, []);
      const installed = JSON.parse(await Deno.readTextFile(`${dataDir}/plugins/search/manifest.json`));
      assert.equal(installed.net, undefined);

      await configure(lodge, { provider_url: web.base, allow_addresses: ["127.0.0.1"] });
      const reader = await waitForLine(lodge, "reader", "reader ");
      assert.deepEqual(reader.titles, ["Result 0", "Result 1"], "Luker.searchTools works in another worker");
      const found = await host.post("/api/plugins/search/search", { query: "routes", max_results: 3 });
      assert.deepEqual([found.status, found.body.results.length], [200, 3]);
      const page = await host.post("/api/plugins/search/visit", { url: `${web.base}/page` });
      assert.deepEqual([page.status, page.body.title], [200, "Café & Tea"]);
    } finally {
      await host.close();
    }

    await Deno.remove(`${dataDir}/plugins/search`, { recursive: true });
    const again = await startTestHost({ dataDir, bundledPlugins: true, keepData: true });
    try {
      const ids = again.host.lodge.plugins!.list().map((p) => p.id);
      assert.deepEqual(ids, ["reader"], "a plugin the user removed stays removed");
    } finally {
      await again.close();
    }
  } finally {
    await web.server.shutdown();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** Waits for a plugin's log line starting with `prefix` and parses the JSON after it. */
async function waitForLine(lodge: Lodge, id: string, prefix: string): Promise<Record<string, unknown>> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const line = lodge.plugins?.logs(id).map((l) => l.text).findLast((t) => t.startsWith(prefix));
    if (line) return JSON.parse(line.slice(prefix.length));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "${prefix}" line from ${id}: ${JSON.stringify(lodge.plugins?.logs(id))}`);
}
