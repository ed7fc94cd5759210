/**
 * The web UI in Chromium (playwright-core driving Debian's chromium) against a real host: time from
 * navigation to the last message of a 10,000- and a 100,000-message chat being visible, frame times while
 * scrolling them, DOM nodes and JS heap after scrolling, and the time from a tool's `addMessages`
 * returning to the message being on screen. Without Chromium the suite says so and registers nothing.
 * Medians and p99 go to stderr as JSON lines (shared helper), beside a `ui` line with the page figures.
 * @module
 */

import { startHost } from "../main.ts";
import { createSocketClient } from "../rpc/client.ts";
import type { methods } from "../rpc/methods/mod.ts";
import { launch, openUi, skipReason } from "../tests/browser/browser.ts";
import { Samples } from "./samples.ts";

const SIZES = [10_000, 100_000] as const;
const reason = skipReason();

if (reason) {
  console.error(`ui bench skipped: ${reason}`);
} else {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-ui-" });
  const host = await startHost({ hostname: "127.0.0.1", port: 0, dataDir, token: crypto.randomUUID() });
  const { lodge } = host;
  const browser = await launch();
  const samples = new Samples();
  const figures: Record<string, unknown> = {};

  globalThis.addEventListener("unload", () => {
    console.error(["medians (ui):", ...samples.lines(), JSON.stringify({ ui: figures })].join("\n"));
  });

  const avatar = lodge.characters.create({ name: "Bench" }, "Bench.png").avatar;
  const text = "The lodge was quiet except for the fire and the wind outside. ".repeat(5);
  for (const size of SIZES) {
    const header = { user_name: "User", character_name: "Bench", chat_metadata: {} };
    const messages = Array.from({ length: size }, (_, i) => ({
      name: i % 2 ? "Bench" : "User",
      is_user: i % 2 === 0,
      is_system: false,
      send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
      mes: `Message ${i}: ${text}${i % 7 === 0 ? "\n\n*A second paragraph* with `code`." : ""}`,
      extra: {},
    }));
    lodge.chats.save({ avatar_url: avatar, file_name: `chat-${size}` }, [header, ...messages]);
  }
  const characterId = lodge.characters.all().findIndex((c) => c.avatar === avatar);
  const page = await openUi(browser, host);

  for (const size of SIZES) {
    const last = `[data-message-index="${size - 1}"] .message-text`;
    Deno.bench({
      name: `navigation to the last message visible, ${size} messages`,
      n: 5,
      warmup: 1,
      async fn(b) {
        await lodge.context.selectCharacterById(characterId);
        await lodge.context.openCharacterChat(`chat-${size}`);
        b.start();
        const start = performance.now();
        await page.goto(host.url + "/#/chat");
        await page.waitForSelector(last, { timeout: 30_000 });
        samples.record(`navigation to last message, ${size}`, performance.now() - start);
        b.end();
      },
    });
    Deno.bench({
      name: `scrolling up, ${size} messages (frame times)`,
      n: 1,
      warmup: 0,
      async fn() {
        const result = await page.evaluate(`new Promise((resolve) => {
          const el = document.querySelector(".messages");
          const frames = [];
          let previous = performance.now(), count = 0;
          const step = (now) => {
            frames.push(now - previous);
            previous = now;
            el.scrollTop -= 600;
            if (++count < 240) requestAnimationFrame(step);
            else resolve({
              frames,
              nodes: document.getElementsByTagName("*").length,
              heap: performance.memory ? performance.memory.usedJSHeapSize : null,
            });
          };
          requestAnimationFrame(step);
        })`) as { frames: number[]; nodes: number; heap: number | null };
        for (const ms of result.frames.slice(1)) samples.record(`scroll frame, ${size}`, ms);
        figures[`dom_nodes_after_scroll_${size}`] = result.nodes;
        figures[`js_heap_mb_after_scroll_${size}`] = result.heap && Math.round(result.heap / 1048576);
      },
    });
  }

  const rpc = await createSocketClient<typeof methods>(host.url + "/rpc", { token: host.token });
  let added = 0;
  Deno.bench({
    name: "addMessages returning → the message on screen",
    n: 20,
    warmup: 2,
    async fn(b) {
      if (added === 0) {
        // a fresh view of the 10,000-message chat, at its end (the scroll cases left it far up)
        await lodge.context.selectCharacterById(characterId);
        await lodge.context.openCharacterChat("chat-10000");
        await page.reload();
        await page.waitForSelector(
          `[data-message-index="${lodge.context.getMessageCount() - 1}"] .message-text`,
        );
      }
      const marker = `live ${++added}`;
      b.start();
      const index = await rpc.call("addMessages", { is_user: false, mes: marker });
      const returned = performance.now();
      await page.waitForSelector(`[data-message-index="${index}"] .message-text >> text=${marker}`, {
        timeout: 10_000,
      });
      samples.record("addMessages → on screen", performance.now() - returned);
      b.end();
    },
  });

  globalThis.addEventListener("unload", () => {
    // best effort: the bench process is ending
    rpc.close().catch(() => {});
    browser.close().catch(() => {});
    lodge.close();
    Deno.removeSync(dataDir, { recursive: true });
  });
}
