/**
 * Message text to safe HTML: Markdown by `marked`, then DOMPurify with a strict profile. No script,
 * no event handler attribute, no form, no frame survives, and images load only from the host itself
 * (any other source is dropped), so a message, a card or a world entry can never run code or make the
 * browser contact another host.
 * @module
 */

import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

/** A sanitizer with this module's hooks and `config` (parsed once: a per-call configuration is parsed each time). */
function sanitizer(config: Record<string, unknown>) {
  const purifier = DOMPurify(window);
  purifier.addHook("uponSanitizeAttribute", (node, data) => {
    const name = data.attrName;
    if (name === "src" || name === "srcset" || name === "poster") {
      if (!isSameOrigin(data.attrValue) || name !== "src") data.keepAttr = false;
    }
    if (name === "href" && !/^(https?:|mailto:|#)/i.test(data.attrValue.trim())) data.keepAttr = false;
    if (name === "style" || name === "class") data.keepAttr = name === "class" && node.nodeName !== "IMG";
  });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  purifier.setConfig(config);
  return purifier;
}

/** Same-origin URLs only: relative paths, or absolute ones whose origin is the page's. */
function isSameOrigin(value: string): boolean {
  try {
    const url = new URL(value, location.href);
    return url.origin === location.origin && (url.protocol === "http:" || url.protocol === "https:");
  } catch {
    return false;
  }
}

const PROFILE = {
  FORBID_TAGS: [
    "style",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "video",
    "audio",
    "source",
    "link",
    "meta",
    "base",
  ],
  FORBID_ATTR: ["style", "srcset", "action", "formaction"],
  ALLOW_DATA_ATTR: false,
};
/** Sanitizes one HTML string. */
const purifier = sanitizer(PROFILE);
/** Sanitizes a tree of several texts at once and answers it (a sanitize call's fixed cost is most of it). */
const batchPurifier = sanitizer({ ...PROFILE, RETURN_DOM: true });
/**
 * Where a batch is parsed before it is sanitized: a document without a window, so nothing in it runs or
 * loads (as in the document the sanitizer parses into itself).
 */
const inert = document.implementation.createHTMLDocument("");

/** Rendered HTML by text, least recently used first; bounded, so a long chat scrolled through stays small. */
const cache = new Map<string, string>();
const CACHE_SIZE = 500;

/** Sanitized HTML for a message's Markdown text (memoized: a text shown again is not parsed again). */
export function renderMarkdown(text: string): string {
  let html = cache.get(text);
  if (html === undefined) html = purifier.sanitize(marked.parse(text) as string) as string;
  else cache.delete(text);
  remember(text, html);
  return html;
}

/**
 * Renders the texts not in the cache yet in one sanitizer pass, so that {@link renderMarkdown} finds them:
 * the cost of a sanitize call is mostly fixed (a document made, walked and serialized), so a screenful of
 * new messages costs about what two of them do one by one. Each text is parsed into an element of its
 * own, so markup in one (an unclosed or stray tag) cannot reach into another.
 * @example
 * ```ts
 * prepareMarkdown(rows.map((m) => m.mes));
 * rows.map((m) => renderMarkdown(m.mes)); // from the cache
 * ```
 */
export function prepareMarkdown(texts: Iterable<string>): void {
  const missing = [...new Set([...texts].filter((text) => !cache.has(text)))];
  if (missing.length < 2) {
    for (const text of missing) renderMarkdown(text);
    return;
  }
  const batch = inert.createElement("div");
  for (const text of missing) {
    const part = inert.createElement("div");
    part.innerHTML = marked.parse(text) as string;
    batch.append(part);
  }
  const clean = (batchPurifier.sanitize(batch) as unknown as Element).firstElementChild;
  const parts = clean?.children;
  // the sanitizer keeps the bare wrappers; should one go missing, each text takes the one-by-one path
  if (!parts || parts.length !== missing.length || [...parts].some((part) => part.tagName !== "DIV")) {
    for (const text of missing) renderMarkdown(text);
    return;
  }
  missing.forEach((text, i) => remember(text, parts[i].innerHTML));
}

/** Keeps a rendering, the least recently used one going when the cache is full. */
function remember(text: string, html: string): void {
  if (!cache.has(text) && cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(text, html);
}
