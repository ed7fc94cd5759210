/**
 * The socket reconnects by itself and resyncs in Chromium: the page's WebSocket is routed through the
 * test, which cuts it and refuses new ones for a while; the status says so, a message added meanwhile
 * cannot reach the page; once connections go through again the page reconnects without a reload and
 * shows that message. (A socket the route closes before it opens fires no error event: the client
 * takes that close as a failed connect and tries again.)
 */

import type { WebSocketRoute } from "playwright-core";
import { startTestHost } from "../support/host.ts";
import { browserTest, screenshot } from "./browser.ts";

browserTest(
  "live: the socket reconnects by itself and resyncs what changed meanwhile",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      let cut = false;
      const open: WebSocketRoute[] = [];
      await page.routeWebSocket(/\/rpc/, (ws) => {
        if (cut) return void ws.close({ code: 1011, reason: "cut by the test" });
        ws.connectToServer();
        open.push(ws);
      });
      await page.goto(`${host.url}/?token=${host.token}`);
      await page.waitForSelector(".status-online");
      await page.waitForSelector('[data-message-index="0"] .message-text');

      cut = true;
      for (const ws of open.splice(0)) await ws.close({ code: 1011, reason: "cut by the test" });
      await page.waitForSelector(".status-offline, .status-connecting");
      await lodge.context.addMessages({
        is_user: false,
        name: "Lodge Guide",
        mes: "Said while you were away.",
      });
      await screenshot(page, "reconnect-offline-1280");

      cut = false;
      await page.waitForSelector(".status-online", { timeout: 30_000 });
      await page.waitForSelector(
        '[data-message-index="1"] .message-text:has-text("Said while you were away.")',
      );
      await context.close();
    } finally {
      await host.close();
    }
  },
);
