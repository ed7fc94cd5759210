/**
 * The web UI in Chromium (playwright-core driving Debian's chromium) against a real host: time from
 * navigation (a fresh page load) to the last message of a 10,000- and a 100,000-message chat being
 * visible, over seven loads each, the first (cold) one included and also printed alone, with where each
 * load spent its time (HTML, bundle, mirror over the socket, first page of messages, visible); frame
 * times while scrolling them up the way a fast wheel does (600 px per frame, one `scrollBy` per animation
 * frame), the same page's frame time when idle (the floor: headless Chromium without GPU paints at
 * 60 Hz, so 16.7 ms frames are 60 fps and a slower frame is a dropped one), the main thread's CPU time
 * per scrolled frame and per row brought in (CDP `Performance` metrics in thread time, steadier on a
 * loaded machine than wall-clock frames), layouts and style recalculations per frame, DOM nodes and JS
 * heap after scrolling (after a full GC, so the figure is what the page keeps), and the time from a
 * tool's `addMessages` returning to the message being in the page's DOM at an animation frame (seen by
 * the page itself, clocks compared in epoch time). A chat is opened once and the host left to settle
 * before its loads are timed (how long that took is printed too). Without Chromium the suite says so and
 * registers nothing. Medians and p99 go to stderr as JSON lines (shared helper), beside a `ui` line with
 * the page figures.
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

  /** In-page: where the load spent its time (ms from navigation start), from the page's own timeline. */
  const loadParts = `(() => {
    const resources = performance.getEntriesByType("resource");
    const script = resources.find((r) => r.name.endsWith("/ui/app.js"));
    const deltas = resources.filter((r) => r.name.endsWith("/get-delta"));
    return {
      html: performance.getEntriesByType("navigation")[0].responseEnd,
      script: script?.responseEnd ?? NaN,
      // the first page of messages is asked for as soon as the mirror arrives over the socket
      mirror: deltas.length ? Math.min(...deltas.map((r) => r.startTime)) : NaN,
      messages: deltas.length ? Math.max(...deltas.map((r) => r.responseEnd)) : NaN,
      // the animation frame that first had the last message in the DOM (it paints that frame)
      visible: window.__lastSeenAt ?? NaN,
    };
  })()`;

  /**
   * Before the page's own scripts, on every load: notes the time (page clock, from navigation start) of
   * the first animation frame whose DOM holds the text of the list's last row, which at a chat's opening
   * is its last message. The driver's own wait sees it later than the page does: the driver runs in the
   * host's process, which is answering the page meanwhile.
   */
  await page.addInitScript(`(() => {
    const until = performance.now() + 60000;
    const look = () => {
      if (document.querySelector(".messages-window > .message-slot:last-child .message-text")) {
        window.__lastSeenAt = performance.now();
      } else if (performance.now() < until) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  })()`);

  /**
   * Opens the chat of `size` messages on the host unless it is open, then waits until the host has
   * settled: opening a long chat hands it to the plugins' sandboxes (a plugin may crash on it and be
   * restarted, up to its quarantine), and that work would otherwise land in the page loads measured next.
   * Settled: for 1.5 s no event-loop delay over 20 ms, no plugin changed state, none crashed or starting.
   * Answers how long that took.
   */
  const openChat = async (size: number): Promise<number> => {
    if (lodge.context.currentChatId() === `chat-${size}`) return 0;
    const start = performance.now();
    await lodge.context.openCharacterChat(`chat-${size}`);
    const states = () => (lodge.plugins?.list() ?? []).map((p) => `${p.id}:${p.state}`).join(" ");
    let quiet = performance.now(), seen = states();
    while (performance.now() - quiet < 1500 && performance.now() - start < 180_000) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
      const now = states();
      if (performance.now() - before > 30 || now !== seen || /:(crashed|starting)\b/.test(now)) {
        quiet = performance.now();
      }
      seen = now;
    }
    return Math.round(performance.now() - start);
  };
  await lodge.context.selectCharacterById(characterId);

  for (const size of SIZES) {
    const last = `[data-message-index="${size - 1}"] .message-text`;
    let load = 0;
    Deno.bench({
      name: `navigation to the last message visible, ${size} messages`,
      n: 7,
      warmup: 0,
      async fn(b) {
        const settle = await openChat(size);
        if (settle) figures[`host_settle_ms_after_opening_${size}`] = settle;
        await page.goto("about:blank"); // each sample is a full page load, not a jump within the page
        b.start();
        const start = performance.now();
        await page.goto(host.url + "/#/chat");
        await page.waitForSelector(last, { timeout: 30_000 });
        const ms = performance.now() - start;
        b.end();
        const parts = await page.evaluate(loadParts) as Record<string, number>;
        // every load counts, the first (cold) one too; the page's clock, the driver's beside it
        samples.record(`navigation to last message, ${size}`, parts.visible);
        samples.record(`navigation to last message (driver clock), ${size}`, ms);
        for (const [part, at] of Object.entries(parts)) samples.record(`navigation ${part} at, ${size}`, at);
        if (load++ === 0) {
          figures[`navigation_first_load_driver_clock_ms_${size}`] = Math.round(ms);
          for (const [part, at] of Object.entries(parts)) {
            figures[`navigation_first_load_${part}_at_ms_${size}`] = Math.round(at);
          }
        }
      },
    });
    Deno.bench({
      name: `scrolling up, ${size} messages (frame times)`,
      n: 1,
      warmup: 0,
      async fn() {
        await openChat(size);
        const idle = await page.evaluate(frames(0, 120)) as number[];
        for (const ms of idle.slice(1)) samples.record(`idle frame, ${size}`, ms);
        // rows inserted while scrolling: the work a frame does depends on how many rows it brings in
        await page.evaluate(`(() => {
          window.__rows = 0;
          window.__rowsObserver?.disconnect(); // deno bench may run the case more than once
          (window.__rowsObserver = new MutationObserver((records) => {
            for (const r of records) for (const n of r.addedNodes) if (n.classList?.contains("message-slot")) window.__rows++;
          })).observe(document.querySelector(".messages-window"), { childList: true });
        })()`);
        const before = await metrics();
        const scrolled = await page.evaluate(frames(600, 240)) as number[];
        const after = await metrics();
        const rows = await page.evaluate("window.__rows") as number;
        for (const ms of scrolled.slice(1)) samples.record(`scroll frame, ${size}`, ms);
        const perFrame = (name: string, scale = 1000) =>
          Math.round((after[name] - before[name]) / scrolled.length * scale * 100) / 100;
        figures[`scroll_main_thread_cpu_ms_per_frame_${size}`] = perFrame("ThreadTime");
        figures[`scroll_renderer_cpu_ms_per_frame_${size}`] = perFrame("ProcessTime");
        figures[`scroll_script_ms_per_frame_${size}`] = perFrame("ScriptDuration");
        figures[`scroll_layout_ms_per_frame_${size}`] = perFrame("LayoutDuration");
        figures[`scroll_style_ms_per_frame_${size}`] = perFrame("RecalcStyleDuration");
        figures[`scroll_layouts_per_frame_${size}`] = perFrame("LayoutCount", 1);
        figures[`scroll_style_recalcs_per_frame_${size}`] = perFrame("RecalcStyleCount", 1);
        figures[`scroll_rows_inserted_per_frame_${size}`] = Math.round(rows / scrolled.length * 100) / 100;
        figures[`scroll_main_thread_cpu_ms_per_row_${size}`] =
          Math.round((after.ThreadTime - before.ThreadTime) * 1000 / Math.max(1, rows) * 100) / 100;
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
        await openChat(10_000);
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
