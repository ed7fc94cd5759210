/**
 * Web search and page visits over RPC, performed by the host (a visit refuses non-public addresses
 * unless `extension_settings.search.allow_private_addresses` is on). The search tools and their
 * `/api/plugins/search/*` routes call these.
 * @module
 */

import { z } from "zod";
import { defineMethod } from "../method.ts";

/** A search request, as `Luker.searchTools.search` takes it. */
export const SearchRequest = z.object({
  query: z.string().trim().min(1).max(2_000),
  max_results: z.number().int().min(1).max(20).default(5),
  safe_search: z.union([z.boolean(), z.enum(["off", "moderate", "strict"])]).optional(),
  time_range: z.enum(["day", "week", "month", "year"]).optional(),
  region: z.string().max(32).optional(),
});

/** A visit request, as `Luker.searchTools.visit` takes it. */
export const VisitRequest = z.object({
  url: z.string().min(1).max(8_192),
  max_chars: z.number().int().min(100).max(200_000).default(8_000),
});

const SearchResult = z.object({
  query: z.string(),
  results: z.array(z.object({ title: z.string(), url: z.string(), content: z.string() })),
});

const VisitResult = z.object({
  url: z.string(),
  title: z.string(),
  text: z.string(),
  total_chars: z.number(),
  truncated: z.boolean(),
});

/** The search methods. */
export const searchMethods = [
  defineMethod({
    name: "search.search",
    summary: "Searches the web through the provider in extension_settings.search.provider_url " +
      "(a SearXNG-style JSON API): `{ query, max_results 1-20, safe_search, time_range, region }`.",
    params: z.tuple([SearchRequest.meta({ title: "request" })]),
    result: SearchResult,
    capability: "plugin",
    example: [
      'const { results } = await ctx.search.search({ query: "deno workers", max_results: 5 });',
      "console.log(results.map((r) => r.title));",
    ].join("\n"),
    handler: ({ lodge }, request) => lodge.search.search(request),
  }),
  defineMethod({
    name: "search.visit",
    summary: "Fetches a page on the host and returns its readable text cut to max_chars; loopback, " +
      "private, link-local and metadata addresses are refused (redirects included) unless allowed.",
    params: z.tuple([VisitRequest.meta({ title: "request" })]),
    result: VisitResult,
    capability: "plugin",
    example: [
      'const { results } = await ctx.search.search({ query: "deno workers", max_results: 1 });',
      "const { title, text, truncated } = await ctx.search.visit({ url: results[0].url, max_chars: 4000 });",
    ].join("\n"),
    handler: ({ lodge }, request) => lodge.search.visit(request.url, request.max_chars),
  }),
];
