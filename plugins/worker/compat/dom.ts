/**
 * jQuery and the DOM in a SillyTavern extension's worker. A plugin worker has no page, so every call
 * that would touch one fails with an error that names the call and says what to use instead, rather
 * than a `ReferenceError` that says nothing. What needs no page keeps working: `jQuery(fn)` /
 * `$(document).ready(fn)` run `fn` once the plugin's module has loaded (as SillyTavern runs them once
 * its page is ready; an async `fn` is not waited for), `window` is the worker's global scope (so `window.myInterceptor = fn` works),
 * and `toastr` messages go to the plugin's log.
 * @module
 */

/** The error every DOM or jQuery call without a page throws. */
export class NoPageError extends Error {
  override name = "NoPageError";
  constructor(call: string) {
    super(
      `${call} needs SillyTavern's page, which a Lodge plugin does not have: show UI with the panel API ` +
        `(manifest "ui": { "panel": "panel.html" }) or a settings form (manifest "settingsSchema")`,
    );
  }
}

/** Members of `window` that exist only with a page. */
const PAGE_ONLY = new Set([
  "alert",
  "confirm",
  "prompt",
  "open",
  "getComputedStyle",
  "matchMedia",
  "requestAnimationFrame",
  "scrollTo",
  "localStorage",
  "sessionStorage",
  "innerWidth",
  "innerHeight",
  "getSelection",
]);

/** A value standing for `path` of the page: calling it, or anything under it, throws {@link NoPageError}. */
function pageless(path: string): unknown {
  return new Proxy(function () {}, {
    get(_target, prop) {
      if (typeof prop === "symbol") return undefined;
      if (prop === "then") return undefined; // not a promise: awaiting it must not call it
      return pageless(`${path}.${prop}`);
    },
    set() {
      throw new NoPageError(path);
    },
    apply() {
      throw new NoPageError(`${path}()`);
    },
    construct() {
      throw new NoPageError(`new ${path}()`);
    },
  });
}

/** How an argument of `$()` is named in an error. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  return typeof value === "object" && value !== null ? "an element" : String(value);
}

/** What {@link installPageStubs} hands back. */
export interface PageStubs {
  /**
   * Runs the ready callbacks (`jQuery(fn)`) in order, once the plugin's module has loaded; an async
   * one's failure is reported when it happens.
   */
  ready(report: (error: unknown) => void): void;
}

/**
 * Defines `$`, `jQuery`, `toastr`, and (for SillyTavern extensions) `document` and `window` on the
 * worker's global scope. `log` receives toastr messages.
 */
export function installPageStubs(
  withDocument: boolean,
  log: (level: "info" | "warn" | "error", text: string) => void,
): PageStubs {
  const callbacks: (() => unknown)[] = [];
  let loaded = false;
  const whenReady = (fn: () => unknown) => {
    if (loaded) queueMicrotask(() => void fn());
    else callbacks.push(fn);
  };
  const document = withDocument ? pageless("document") : undefined;
  const chainForDocument = Object.freeze({
    ready(fn: unknown) {
      if (typeof fn !== "function") throw new TypeError("$(document).ready() needs a function");
      whenReady(fn as () => unknown);
      return chainForDocument;
    },
    on(event: unknown, fn: unknown) {
      if (event === "ready" && typeof fn === "function") {
        whenReady(fn as () => unknown);
        return chainForDocument;
      }
      throw new NoPageError(`$(document).on(${describe(event)})`);
    },
  });
  const jquery = new Proxy(function $() {}, {
    apply(_target, _this, args: unknown[]) {
      const [first] = args;
      if (typeof first === "function") {
        whenReady(first as () => unknown);
        return chainForDocument;
      }
      if (first === document && document !== undefined) return chainForDocument;
      throw new NoPageError(`$(${describe(first)})`);
    },
    get(_target, prop) {
      if (typeof prop === "symbol" || prop === "then") return undefined;
      return pageless(`$.${prop}`);
    },
  });
  const toast = (kind: string, level: "info" | "warn" | "error") => (message: unknown, title?: unknown) =>
    log(level, `[toastr.${kind}] ${title ? `${String(title)}: ` : ""}${String(message)}`);
  const toastr = Object.freeze({
    info: toast("info", "info"),
    success: toast("success", "info"),
    warning: toast("warning", "warn"),
    error: toast("error", "error"),
    clear: () => {},
    remove: () => {},
  });
  const define = (name: string, value: unknown) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  define("$", jquery);
  define("jQuery", jquery);
  define("toastr", toastr);
  if (withDocument) {
    define("document", document);
    define(
      "window",
      new Proxy(globalThis, {
        get(target, prop) {
          if (Reflect.has(target, prop)) return Reflect.get(target, prop);
          if (typeof prop === "string" && PAGE_ONLY.has(prop)) return pageless(`window.${prop}`);
          return undefined;
        },
      }),
    );
  }
  return {
    ready(report) {
      loaded = true;
      // as jQuery does: each runs in turn, an async one is not waited for (it may wait on the user)
      for (const fn of callbacks.splice(0)) {
        try {
          const result = fn();
          if (result instanceof Promise) result.catch(report);
        } catch (error) {
          // one failing setup step is the plugin's bug: it keeps what its other steps registered
          report(error);
        }
      }
    },
  };
}
