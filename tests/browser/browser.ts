/**
 * Real Chromium for browser tests: `playwright-core` driving Debian's `chromium` (never a browser
 * download). {@link browserTest} registers a test that is skipped, saying why, when Chromium is missing;
 * {@link openUi} signs a fresh page in to a test host the way a person does (the start URL with
 * `?token=`), and {@link screenshot} writes into the test output folder.
 *
 * ```ts
 * browserTest("sign in", async ({ browser }) => {
 *   const host = await startTestHost();
 *   const page = await openUi(browser, host);
 *   ...
 * });
 * ```
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";
import { join } from "node:path";
import { REPO_ROOT, type TestHost } from "../support/host.ts";

/** Where Debian's package puts Chromium (override with `LODGE_CHROMIUM`). */
export const CHROMIUM = Deno.env.get("LODGE_CHROMIUM") ?? "/usr/bin/chromium";

/** Screenshots and bench traces go here (`LODGE_TEST_OUTPUT`, else `test-output/` in the repository). */
export const OUTPUT_DIR = Deno.env.get("LODGE_TEST_OUTPUT") ?? join(REPO_ROOT, "test-output");

/** Why browser tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set LODGE_CHROMIUM)`;
  }
}

let said = false;

/**
 * Launches Chromium headless; closes it on dispose. Playwright gives every launch a fresh temporary
 * profile (`--user-data-dir`) of its own and removes it on close.
 */
export async function launch(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  });
}

/** A test that needs Chromium: given a browser, or ignored with the reason printed once. */
export function browserTest(
  name: string,
  fn: (ctx: { browser: Browser; t: Deno.TestContext }) => Promise<void>,
): void {
  const reason = skipReason();
  if (reason && !said) {
    said = true;
    console.log(`browser tests skipped: ${reason}`);
  }
  Deno.test({
    name,
    ignore: reason !== null,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      await using browser = await launch();
      await fn({ browser, t });
    },
  });
}

/**
 * A page of a new browser context signed in to `host` through the start URL, with the app loaded;
 * `colorScheme` is the system preference the page sees (light by default).
 */
export async function openUi(
  browser: Browser,
  host: Pick<TestHost, "url" | "token">,
  viewport = { width: 1280, height: 800 },
  colorScheme: "light" | "dark" = "light",
): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(`${host.url}/?token=${host.token}`);
  await page.waitForSelector(".status-online");
  return page;
}

/**
 * Waits until the page expression `expression` is truthy. Playwright evaluates a string predicate afresh
 * with `eval` on every poll after the first, which the UI's CSP (no `unsafe-eval`) refuses; a function is
 * evaluated once and then called, so the string is handed over as one.
 *
 * ```ts
 * await waitForExpression(page, `!document.querySelector(".placeholder")`, { timeout: 5_000 });
 * ```
 */
export function waitForExpression(
  page: Page,
  expression: string,
  options?: { timeout?: number },
): Promise<unknown> {
  return page.waitForFunction(new Function(`return (${expression});`) as () => unknown, undefined, options);
}

/** Saves a full-page screenshot as `<OUTPUT_DIR>/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
