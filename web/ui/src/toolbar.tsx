/**
 * The WAI-ARIA toolbar pattern for every `role="toolbar"` of the page: the toolbar is one Tab stop
 * (its current control has `tabindex="0"`, the others `-1`), Left / Right move the focus to the
 * previous / next control (wrapping), Home / End to the first / last. Disabled controls are skipped;
 * controls added or removed later (a plugin's buttons, a state change) are kept in step by a
 * `MutationObserver`, since they may render from components of their own.
 * @module
 */

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

const CONTROLS = "button, a[href], input, select, textarea, [role=button]";

/** The toolbar's enabled controls, in document order. */
function controlsOf(bar: HTMLElement): HTMLElement[] {
  return [...bar.querySelectorAll<HTMLElement>(CONTROLS)].filter((el) =>
    !(el as HTMLButtonElement).disabled && el.getAttribute("aria-disabled") !== "true"
  );
}

/**
 * Makes `bar` a roving-tabindex toolbar until the returned function is called.
 * @example
 * ```ts
 * const stop = rovingToolbar(document.querySelector<HTMLElement>('[role="toolbar"]')!);
 * ```
 */
export function rovingToolbar(bar: HTMLElement): () => void {
  let current: HTMLElement | null = null;
  const sync = () => {
    const controls = controlsOf(bar);
    if (!current || !controls.includes(current)) current = controls[0] ?? null;
    for (const el of bar.querySelectorAll<HTMLElement>(CONTROLS)) {
      const index = el === current ? "0" : "-1";
      if (el.getAttribute("tabindex") !== index) el.setAttribute("tabindex", index);
    }
  };
  const move = (to: HTMLElement | undefined) => {
    if (!to) return;
    current = to;
    sync();
    to.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    // text fields inside a toolbar keep their own arrow keys
    if (e.altKey || e.ctrlKey || e.metaKey || (e.target as HTMLElement).matches("input, textarea, select")) {
      return;
    }
    const controls = controlsOf(bar);
    const at = controls.indexOf(e.target as HTMLElement);
    if (at < 0) return;
    const n = controls.length;
    const to = e.key === "ArrowRight"
      ? controls[(at + 1) % n]
      : e.key === "ArrowLeft"
      ? controls[(at + n - 1) % n]
      : e.key === "Home"
      ? controls[0]
      : e.key === "End"
      ? controls[n - 1]
      : undefined;
    if (!to) return;
    e.preventDefault();
    move(to);
  };
  const onFocus = (e: FocusEvent) => {
    const target = e.target as HTMLElement;
    if (target !== current && controlsOf(bar).includes(target)) {
      current = target;
      sync();
    }
  };
  const observer = new MutationObserver(sync);
  observer.observe(bar, { childList: true, subtree: true, attributes: true, attributeFilter: ["disabled"] });
  bar.addEventListener("keydown", onKey);
  bar.addEventListener("focusin", onFocus);
  sync();
  return () => {
    observer.disconnect();
    bar.removeEventListener("keydown", onKey);
    bar.removeEventListener("focusin", onFocus);
  };
}

/**
 * A `role="toolbar"` element that moves the focus with the arrow keys ({@link rovingToolbar}).
 * @example
 * ```tsx
 * <Toolbar label="Generation" class="composer-tools"><button type="button">Continue</button></Toolbar>
 * ```
 */
export function Toolbar(
  { label, class: className, children }: { label: string; class?: string; children: ComponentChildren },
) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current ? rovingToolbar(ref.current) : undefined, []);
  return <div ref={ref} class={className} role="toolbar" aria-label={label}>{children}</div>;
}
