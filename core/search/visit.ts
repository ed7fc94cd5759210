/**
 * The host's page visit, over http or https: resolve the name once, refuse addresses the user did not
 * allow, connect to the very address that was checked (node:http's `lookup` hands the socket the checked address, so no second
 * lookup can swap it), follow redirects by hand through the same check, cap bytes and time, and turn the
 * page into readable text.
 * @module
 */

import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import tls from "node:tls";
import { convert } from "html-to-text";
import { decodeHTML } from "entities";
import { LodgeError } from "../errors.ts";
import { isAllowedBy, refusalReason } from "./address.ts";

/** What a visit may reach besides public addresses. */
export interface Allowance {
  /** Every address. */
  allowPrivate: boolean;
  /** These addresses (exact, or IPv4 CIDR blocks). */
  allowAddresses?: readonly string[];
}

/** Limits and allowances of one visit. */
export interface VisitOptions {
  /** Characters of text returned (the rest is cut and `truncated` set). */
  maxChars: number;
  /** Bytes of body read before the visit stops reading. */
  maxBytes: number;
  /** Milliseconds for the whole visit, redirects included. */
  timeoutMs: number;
  /** Redirects followed. */
  maxRedirects: number;
  /** Whether loopback, private, link-local and metadata addresses may be reached. */
  allowPrivate: boolean;
  /** Non-public addresses reachable even so: exact addresses or IPv4 CIDR blocks. */
  allowAddresses?: readonly string[];
  /**
   * More certificate authorities (PEM) trusted for https pages, beside the system's; none unless the host
   * was started with them (a private CA, or a test's own).
   */
  ca?: readonly string[];
}

/** What a visit returns. */
export interface VisitResult {
  /** The final URL, after redirects. */
  url: string;
  /** The page title ("" when there is none). */
  title: string;
  /** Readable text, at most `max_chars` characters. */
  text: string;
  /** Characters of the whole readable text. */
  total_chars: number;
  /** Whether `text` was cut (by `max_chars` or the byte cap). */
  truncated: boolean;
}

/**
 * Resolves a URL's host to one address the options allow, or throws `forbidden`.
 * @example
 * ```ts
 * await checkedAddress(new URL("http://127.0.0.1/"), { allowPrivate: false }); // throws forbidden (loopback)
 * ```
 */
export async function checkedAddress(
  url: URL,
  allow: Allowance,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    const found = await Promise.allSettled([Deno.resolveDns(host, "A"), Deno.resolveDns(host, "AAAA")]);
    addresses = found.flatMap((r) => r.status === "fulfilled" ? r.value : []);
    if (addresses.length === 0) throw new LodgeError("not_found", `cannot resolve ${host}`);
  }
  // Every address of the name must pass, so the one used cannot be a refused sibling.
  for (const address of addresses) {
    const why = refusalReason(address);
    if (why && !allow.allowPrivate && !isAllowedBy(address, allow.allowAddresses ?? [])) {
      throw new LodgeError("forbidden", `${url.host} resolves to a ${why} address (${address})`);
    }
  }
  const address = addresses[0];
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}

interface RawResponse {
  status: number;
  location: string | null;
  contentType: string;
  body: Uint8Array;
  cut: boolean;
}

/** One GET to the checked address, reading at most `maxBytes`. */
function get(
  url: URL,
  target: { address: string; family: 4 | 6 },
  maxBytes: number,
  signal: AbortSignal,
  ca: readonly string[],
) {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    const req = client.request(url, {
      method: "GET",
      lookup,
      signal,
      // `ca` replaces the trusted roots: the system's stay, the host's extra ones join them
      ...(url.protocol === "https:" && ca.length > 0 ? { ca: [...tls.rootCertificates, ...ca] } : {}),
      headers: {
        "user-agent": "Lodge/1 (page visit)",
        accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
        "accept-encoding": "identity",
      },
    }, (res) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let cut = false;
      const finish = () =>
        resolve({
          status: res.statusCode ?? 0,
          location: typeof res.headers.location === "string" ? res.headers.location : null,
          contentType: String(res.headers["content-type"] ?? ""),
          body: concat(chunks, size),
          cut,
        });
      res.on("data", (chunk: Uint8Array) => {
        if (cut) return;
        const room = maxBytes - size;
        if (chunk.length >= room) {
          chunks.push(chunk.subarray(0, room));
          size += room;
          cut = true;
          finish();
          res.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => cut || finish());
      res.on("error", (e) => cut || reject(e));
    });
    req.on("error", reject);
    req.end();
  });
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The charset a response declares, defaulting to UTF-8. */
function decode(body: Uint8Array, contentType: string): string {
  const charset = contentType.match(/charset=["']?([\w-]+)/i)?.[1] ?? "utf-8";
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder().decode(body);
  }
}

/**
 * Readable text of an HTML document: scripts, styles, images and link targets dropped, entities decoded.
 * @example
 * ```ts
 * htmlToText("<title>A</title><p>x &amp; y</p><script>1</script>"); // { title: "A", text: "x & y" }
 * ```
 */
export function htmlToText(html: string): { title: string; text: string } {
  const raw = html.match(/<title[^>]*>([\s\S]*?)<\/title>/i)?.[1] ?? "";
  const title = decodeHTML(raw).replace(/\s+/g, " ").trim();
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "noscript", format: "skip" },
      { selector: "h1", options: { uppercase: false } },
      { selector: "h2", options: { uppercase: false } },
      { selector: "h3", options: { uppercase: false } },
      { selector: "table", format: "dataTable" },
    ],
  }).trim();
  return { title, text };
}

/**
 * Visits a page: public addresses only unless `allowPrivate`, redirects checked hop by hop.
 * @example
 * ```ts
 * const page = await visitPage("https://example.com/", {
 *   maxChars: 4000, maxBytes: 2_000_000, timeoutMs: 15_000, maxRedirects: 5, allowPrivate: false,
 * });
 * page.title; // "Example Domain"
 * ```
 */
export async function visitPage(input: string, options: VisitOptions): Promise<VisitResult> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new LodgeError("invalid", `not a URL: ${input}`);
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    for (let hop = 0;; hop++) {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new LodgeError("invalid", `only http and https pages can be visited, not ${url.protocol}`);
      }
      if (url.username || url.password) {
        throw new LodgeError("invalid", "a visited URL carries no credentials");
      }
      const target = await checkedAddress(url, options);
      signal.throwIfAborted();
      const res = await get(url, target, options.maxBytes, signal, options.ca ?? []);
      if (res.status >= 300 && res.status < 400 && res.location) {
        if (hop >= options.maxRedirects) {
          throw new LodgeError("invalid", `more than ${options.maxRedirects} redirects`);
        }
        url = new URL(res.location, url);
        continue;
      }
      if (res.status >= 400) throw new LodgeError("unavailable", `${url.href} answered ${res.status}`);
      const body = decode(res.body, res.contentType);
      const page = /html|xml/i.test(res.contentType) || /^\s*</.test(body)
        ? htmlToText(body)
        : { title: "", text: body.trim() };
      const text = page.text.slice(0, options.maxChars);
      return {
        url: url.href,
        title: page.title,
        text,
        total_chars: page.text.length,
        truncated: res.cut || text.length < page.text.length,
      };
    }
  } catch (e) {
    if (e instanceof LodgeError) throw e;
    if (signal.aborted) {
      throw new LodgeError("timeout", `visiting ${url.href} took over ${options.timeoutMs} ms`);
    }
    throw new LodgeError("unavailable", `visiting ${url.href} failed: ${(e as Error).message}`);
  }
}
