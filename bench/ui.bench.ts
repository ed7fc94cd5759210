/**
 * The web UI in Chromium (playwright-core driving Debian's chromium) against a real host: time from
 * navigation (a fresh page load) to the last message of a 10,000- and a 100,000-message chat being
 * visible, frame times while scrolling them up the way a fast wheel does (600 px per frame, one
 * `scrollBy` per animation frame), the same page's frame time when idle (the floor: headless Chromium
 * without GPU paints at 60 Hz, so 16.7 ms frames are 60 fps and a slower frame is a dropped one), the
 * main thread's CPU time per scrolled frame (CDP `Performance` metrics in thread time, steady on a loaded
 * machine where wall-clock frames are not), DOM nodes and JS heap after scrolling (after a full GC, so
 * the figure is what the page keeps), and the time from a tool's `addMessages` returning to the message
 * being in the page's DOM at an animation frame (seen by the page itself, clocks compared in epoch time).
 * Without Chromium the suite says so and registers nothing. Medians and p99 go to stderr as JSON lines
 * (shared helper), beside a `ui` line with the page figures.
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

  /** In-page: `count` animation frames, each scrolling the list up `step` px; answers the frame times. */
  const frames = (step: number, count: number) =>
    `new Promise((resolve) => {
      const el = document.querySelector(".messages");
      const times = [];
      let previous = performance.now();
      const frame = (now) => {
        times.push(now - previous);
        previous = now;
        if (${step}) el.scrollBy(0, -${step});
        if (times.length < ${count}) requestAnimationFrame(frame);
        else resolve(times);
      };
      requestAnimationFrame(frame);
    })`;

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

  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const metrics = async () =>
    Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));

  for (const size of SIZES) {
    const last = `[data-message-index="${size - 1}"] .message-text`;
    Deno.bench({
      name: `navigation to the last message visible, ${size} messages`,
      n: 5,
      warmup: 1,
      async fn(b) {
        await lodge.context.selectCharacterById(characterId);
        await lodge.context.openCharacterChat(`chat-${size}`);
        await page.goto("about:blank"); // each sample is a full page load, not a jump within the page
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
        const idle = await page.evaluate(frames(0, 120)) as number[];
        for (const ms of idle.slice(1)) samples.record(`idle frame, ${size}`, ms);
        const before = await metrics();
        const scrolled = await page.evaluate(frames(600, 240)) as number[];
        const after = await metrics();
        for (const ms of scrolled.slice(1)) samples.record(`scroll frame, ${size}`, ms);
        const perFrame = (name: string) =>
          Math.round((after[name] - before[name]) / scrolled.length * 1e4) / 10;
        figures[`scroll_main_thread_cpu_ms_per_frame_${size}`] = perFrame("ThreadTime");
        figures[`scroll_renderer_cpu_ms_per_frame_${size}`] = perFrame("ProcessTime");
        figures[`scroll_script_ms_per_frame_${size}`] = perFrame("ScriptDuration");
        figures[`scroll_layout_ms_per_frame_${size}`] = perFrame("LayoutDuration");
        figures[`dom_nodes_after_scroll_${size}`] = await page.evaluate(
          "document.getElementsByTagName('*').length",
        );
        await cdp.send("HeapProfiler.collectGarbage");
        figures[`js_heap_mb_after_scroll_${size}`] =
          Math.round((await metrics()).JSHeapUsedSize / 1048576 * 10) /
          10;
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
      // the page notes the epoch time of the first animation frame that finds the message in the DOM
      const seen = page.evaluate(`new Promise((resolve) => {
        const look = () => [...document.querySelectorAll(".message-text")].some((e) => e.textContent.trim() === ${
        JSON.stringify(marker)
      })
          ? resolve(performance.timeOrigin + performance.now())
          : requestAnimationFrame(look);
        requestAnimationFrame(look);
        setTimeout(() => resolve(NaN), 10000);
      })`) as Promise<number>;
      await page.evaluate("0"); // the page is watching before the message is added
      b.start();
      await rpc.call("addMessages", { is_user: false, mes: marker });
      const returned = performance.timeOrigin + performance.now();
      const at = await seen;
      if (Number.isNaN(at)) throw new Error(`${marker} did not show within 10 s`);
      samples.record("addMessages → on screen", Math.max(0, at - returned));
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
