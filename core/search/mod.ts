/**
 * Web search and page visits the host performs for the search tools. Settings live in
 * `extension_settings.search`: `provider_url` (a SearXNG-style base URL), `allow_private_addresses`
 * (let visits reach loopback, private, link-local and metadata addresses; off by default),
 * `allow_addresses` (non-public addresses visits may reach even so: exact addresses or IPv4 CIDR blocks,
 * such as `["192.168.1.20", "127.0.0.0/8"]`),
 * `timeout_ms` (per call, default 15000) and `max_bytes` (of a visited page, default 2 MB).
 * @module
 */

import type { SettingsService } from "../documents.ts";
import { LodgeError } from "../errors.ts";
import { searchProvider, type SearchQuery, type SearchResult } from "./provider.ts";
import { visitPage, type VisitResult } from "./visit.ts";

export type { SearchHit, SearchQuery, SearchResult } from "./provider.ts";
export type { VisitOptions, VisitResult } from "./visit.ts";
export { htmlToText, visitPage } from "./visit.ts";
export { refusalReason } from "./address.ts";

/** The search settings as stored in `extension_settings.search`. */
export interface SearchSettings {
  /** Base URL of the SearXNG-style provider. */
  provider_url?: string;
  /** Whether visits may reach non-public addresses. */
  allow_private_addresses?: boolean;
  /** Non-public addresses visits may reach: exact addresses or IPv4 CIDR blocks. */
  allow_addresses?: string[];
  /** Milliseconds per search or visit. */
  timeout_ms?: number;
  /** Bytes read of a visited page. */
  max_bytes?: number;
}

/** Search and visit over the user's settings. */
export class SearchService {
  readonly #settings: SettingsService;
  readonly #ca: readonly string[];

  /**
   * @param settings where `extension_settings.search` lives
   * @param options `ca`: certificate authorities (PEM) https visits trust beside the system's
   */
  constructor(settings: SettingsService, options: { ca?: readonly string[] } = {}) {
    this.#settings = settings;
    this.#ca = options.ca ?? [];
  }

  /** The current `extension_settings.search`. */
  config(): SearchSettings {
    const ext = this.#settings.get().extension_settings as Record<string, unknown> | undefined;
    const s = ext?.search;
    return typeof s === "object" && s !== null ? s as SearchSettings : {};
  }

  #timeout(): number {
    const t = this.config().timeout_ms;
    return typeof t === "number" && t > 0 ? Math.min(t, 120_000) : 15_000;
  }

  /**
   * Searches the configured provider.
   * @example
   * ```ts
   * const { results } = await lodge.search.search({ query: "deno workers", max_results: 5 });
   * ```
   */
  search(q: SearchQuery): Promise<SearchResult> {
    const base = this.config().provider_url;
    if (typeof base !== "string" || base === "") {
      throw new LodgeError(
        "unavailable",
        "no search provider is set (extension_settings.search.provider_url)",
      );
    }
    return searchProvider(base, q, this.#timeout());
  }

  /**
   * Visits a page and returns its readable text.
   * @example
   * ```ts
   * const page = await lodge.search.visit("https://example.com/", 4000);
   * page.truncated;
   * ```
   */
  visit(url: string, maxChars: number): Promise<VisitResult> {
    const c = this.config();
    const maxBytes = typeof c.max_bytes === "number" && c.max_bytes > 0
      ? Math.min(c.max_bytes, 20_000_000)
      : 2_000_000;
    return visitPage(url, {
      maxChars,
      maxBytes,
      timeoutMs: this.#timeout(),
      maxRedirects: 5,
      ca: this.#ca,
      allowPrivate: c.allow_private_addresses === true,
      allowAddresses: Array.isArray(c.allow_addresses)
        ? c.allow_addresses.filter((a) => typeof a === "string")
        : [],
    });
  }
}
