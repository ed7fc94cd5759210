/**
 * What a real browser page of the host sends, for tests: sign in through `/?token=`, read the CSRF value
 * from the page's `<meta name="lodge-csrf">`, and build the headers the page's script sends (the cookie,
 * the host's own `Origin`, `Sec-Fetch-Site: same-origin`, `X-Lodge-CSRF`).
 * @module
 */

import assert from "node:assert/strict";
import { request } from "./host.ts";

/** A signed-in browser. */
export interface BrowserSession {
  /** `lodge_session=...`, as the browser sends it. */
  cookie: string;
  /** The value of the page's `<meta name="lodge-csrf">`. */
  csrf: string;
  /** Headers of a same-origin `fetch` from the page, with the CSRF header. */
  headers: Record<string, string>;
}

/** Signs in at `baseUrl` with `token` and reads the page the way a browser would. */
export async function signIn(baseUrl: string, token: string): Promise<BrowserSession> {
  const login = await request(baseUrl, `/?token=${encodeURIComponent(token)}`);
  assert.equal(login.status, 303, "sign-in must redirect");
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  assert.match(cookie, /^lodge_session=./);
  const page = await request(baseUrl, "/", { headers: { cookie, "sec-fetch-site": "none" } });
  const csrf = csrfOf(String(page.body));
  assert.ok(csrf, 'the signed-in page carries <meta name="lodge-csrf">');
  return {
    cookie,
    csrf,
    headers: { cookie, origin: baseUrl, "sec-fetch-site": "same-origin", "x-lodge-csrf": csrf },
  };
}

/** The CSRF value in a page's meta tag, or null. */
export function csrfOf(html: string): string | null {
  return /<meta name="lodge-csrf" content="([^"]*)">/.exec(html)?.[1] ?? null;
}

/** Fewest health checks a measurement takes, so its p99 is not simply the slowest sample. */
const MIN_SAMPLES = 200;

/**
 * Runs `attack` while polling `GET /healthz` back to back, and returns the attack's result and the p99
 * (nearest rank) of the health checks' latency in milliseconds, over at least {@link MIN_SAMPLES}
 * checks: polling goes on after a quick attack until there are enough.
 */
export async function healthDuring<T>(
  baseUrl: string,
  attack: () => Promise<T>,
): Promise<{ result: T; p99Ms: number; samples: number }> {
  const times: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done || times.length < MIN_SAMPLES) {
      const start = performance.now();
      const res = await fetch(`${baseUrl}/healthz`);
      await res.body?.cancel();
      assert.equal(res.status, 200, "the host stopped answering /healthz");
      times.push(performance.now() - start);
    }
  })();
  let result: T;
  try {
    result = await attack();
  } finally {
    done = true;
    await poll;
  }
  times.sort((a, b) => a - b);
  return { result, p99Ms: times[Math.ceil(times.length * 0.99) - 1], samples: times.length };
}
