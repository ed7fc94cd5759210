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
// parsed once: a configuration passed to every sanitize call is parsed again each time
purifier.setConfig(PROFILE);

/** Rendered HTML by text, least recently used first; bounded, so a long chat scrolled through stays small. */
const cache = new Map<string, string>();
const CACHE_SIZE = 500;

/** Sanitized HTML for a message's Markdown text (memoized: a text shown again is not parsed again). */
export function renderMarkdown(text: string): string {
  let html = cache.get(text);
  if (html === undefined) {
    html = purifier.sanitize(marked.parse(text) as string) as string;
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  } else cache.delete(text);
  cache.set(text, html);
  return html;
}
