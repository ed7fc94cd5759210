/**
 * The search provider: a SearXNG-style JSON API (`GET <base>/search?q=…&format=json` answering
 * `{ results: [{ title, url, content }] }`). The base URL is the user's choice, so the host calls it as is.
 * @module
 */

import { LodgeError } from "../errors.ts";

/** One search request. */
export interface SearchQuery {
  /** What to search for. */
  query: string;
  /** How many results (1-20). */
  max_results: number;
  /** Safe search: off, moderate or strict (true means moderate). */
  safe_search?: boolean | "off" | "moderate" | "strict";
  /** Only results from the last day, week, month or year. */
  time_range?: "day" | "week" | "month" | "year";
  /** A language/region code such as `en-US`. */
  region?: string;
}

/** One search result. */
export interface SearchHit {
  /** The result's title. */
  title: string;
  /** Its address. */
  url: string;
  /** The provider's snippet. */
  content: string;
}

/** What a search returns. */
export interface SearchResult {
  /** The query searched. */
  query: string;
  /** Results, at most `max_results`. */
  results: SearchHit[];
}

const SAFE = { off: "0", moderate: "1", strict: "2" } as const;

/**
 * Searches a SearXNG-style provider.
 * @example
 * ```ts
 * const { results } = await searchProvider("http://127.0.0.1:8888", { query: "deno", max_results: 5 }, 10_000);
 * results[0].url;
 * ```
 */
export async function searchProvider(base: string, q: SearchQuery, timeoutMs: number): Promise<SearchResult> {
  let url: URL;
  try {
    url = new URL("search", base.endsWith("/") ? base : `${base}/`);
  } catch {
    throw new LodgeError("invalid", `the search provider URL is not a URL: ${base}`);
  }
  url.searchParams.set("q", q.query);
  url.searchParams.set("format", "json");
  if (q.safe_search !== undefined) {
    url.searchParams.set("safesearch", SAFE[q.safe_search === true ? "moderate" : q.safe_search || "off"]);
  }
  if (q.time_range) url.searchParams.set("time_range", q.time_range);
  if (q.region) url.searchParams.set("language", q.region);
  let body: unknown;
  try {
    const res = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new LodgeError("unavailable", `the search provider answered ${res.status}`);
    }
    body = await res.json();
  } catch (e) {
    if (e instanceof LodgeError) throw e;
    throw new LodgeError("unavailable", `the search provider failed: ${(e as Error).message}`);
  }
  const raw = (body as { results?: unknown })?.results;
  if (!Array.isArray(raw)) throw new LodgeError("unavailable", "the search provider sent no results list");
  const results = raw
    .filter((r): r is Record<string, unknown> =>
      typeof r === "object" && r !== null && typeof r.url === "string"
    )
    .slice(0, q.max_results)
    .map((r) => ({
      title: typeof r.title === "string" ? r.title : "",
      url: r.url as string,
      content: typeof r.content === "string" ? r.content : "",
    }));
  return { query: q.query, results };
}
