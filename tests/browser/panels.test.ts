/**
 * Plugin panels and action buttons in Chromium. A panel is a hostile page: it tries to read the
 * cookie, the host page's DOM, the host's storage, and to call `/rpc` and `/api` itself; every attempt
 * fails, while the message bridge reaches its own plugin's worker. A second plugin's API is out of the
 * panel's reach. Action buttons on a message and on the input bar call back into the plugin's worker.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const PANEL = `<!doctype html><html><body><h1>Probe panel</h1><pre id="out"></pre><script>
const results = {};
const attempt = async (name, fn) => {
  try { results[name] = "LEAK " + String(await fn()).slice(0, 80); } catch (e) { results[name] = "blocked"; }
};
let next = 1;
const bridge = (method, ...args) => new Promise((resolve, reject) => {
  const id = next++;
  addEventListener("message", function on(e) {
    if (e.data?.lodge !== "result" || e.data.id !== id) return;
    removeEventListener("message", on);
    e.data.error ? reject(new Error(e.data.error)) : resolve(e.data.result);
  });
  parent.postMessage({ lodge: "call", id, method, args }, "*");
});
(async () => {
  await attempt("cookie", () => document.cookie || Promise.reject(new Error("empty")));
  await attempt("parentDocument", () => parent.document.title);
  await attempt("topLocation", () => top.location.href);
  await attempt("localStorage", () => localStorage.length);
  await attempt("fetchRpc", async () => (await fetch("/rpc", { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"settings.get","params":[]}' })).status);
  await attempt("fetchApi", async () => (await fetch("/api/characters/all", { method: "POST" })).status);
  await attempt("socket", () => new Promise((resolve, reject) => {
    const ws = new WebSocket("ws://" + location.host + "/rpc");
    ws.onopen = () => resolve("open");
    ws.onerror = () => reject(new Error("no"));
  }));
  await attempt("otherPlugin", () => bridge("secret"));
  results.own = await bridge("hello", "panel");
  document.getElementById("out").textContent = JSON.stringify(results, null, 1);
  await bridge("report", results);
})();
</script></body></html>`;

browserTest(
  "panels: a sandboxed panel reaches only its own worker; action buttons call back",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-ui-" });
    await writePluginFolder(dataDir, {
      id: "probe",
      manifest: {
        display_name: "Probe",
        ui: {
          panel: "ui/panel.html",
          actions: [{ id: "mark", label: "Mark", where: "message" }, {
            id: "ping",
            label: "Ping",
            where: "input",
          }],
        },
      },
      files: {
        "index.js": `const ctx = Luker.getContext();
ctx.registerExtensionApi("probe", {
  hello: (name) => "hello " + name,
  report: (results) => console.log("report " + JSON.stringify(results)),
  onUiAction: (info) => console.log("action " + JSON.stringify(info)),
});`,
        "ui/panel.html": PANEL,
      },
    });
    await writePluginFolder(dataDir, {
      id: "vault",
      manifest: { display_name: "Vault" },
      files: {
        "index.js":
          `Luker.getContext().registerExtensionApi("vault", { secret: () => "the vault's secret" });`,
      },
    });
    const host = await startTestHost({ dataDir });
    const plugins = () => host.host.lodge.plugins!;
    const logLine = async (prefix: string) => {
      for (let i = 0; i < 300; i++) {
        const line = plugins().logs("probe").find((l) => l.text.startsWith(prefix));
        if (line) return JSON.parse(line.text.slice(prefix.length));
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${prefix}line`);
    };
    try {
      const page = await openUi(browser, host);
      await page.waitForSelector('[data-message-index="0"] .message-text');
      await page.goto(host.url + "/#/plugins");
      await page.waitForSelector('[data-plugin="probe"] .badge-running', { timeout: 20_000 });
      await page.waitForSelector('[data-plugin="vault"] .badge-running', { timeout: 20_000 });
      await page.goto(host.url + "/#/panels");
      const frame = page.frameLocator("iframe.panel-frame");
      await frame.locator("#out").filter({ hasText: "own" }).waitFor({ timeout: 20_000 });
      const results = await logLine("report ");
      assert.equal(results.own, "hello panel", "the bridge reaches the plugin's own worker");
      for (
        const key of [
          "cookie",
          "parentDocument",
          "topLocation",
          "localStorage",
          "fetchRpc",
          "fetchApi",
          "socket",
          "otherPlugin",
        ]
      ) {
        assert.equal(results[key], "blocked", `${key}: ${results[key]}`);
      }
      assert.equal(await page.locator("iframe.panel-frame").getAttribute("sandbox"), "allow-scripts");
      await screenshot(page, "panel-1280");

      await page.goto(host.url + "/#/chat");
      await page.locator('[data-message-index="0"] >> text=Mark').click();
      assert.deepEqual(await logLine("action "), { action: "mark", messageIndex: 0 });
      await page.locator(".composer-tools >> text=Ping").click();
      for (let i = 0; i < 100 && !plugins().logs("probe").some((l) => l.text.includes('"ping"')); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(plugins().logs("probe").some((l) => l.text === 'action {"action":"ping"}'));
    } finally {
      await host.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
