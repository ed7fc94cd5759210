/**
 * Keeps a sideways-scrolling list's current link (`aria-current="page"`) in sight, for the view and
 * section lists that scroll on narrow screens.
 * @module
 */

import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A ref for the list; after each change of `current` its current link is scrolled into sight. */
export function useCurrentInSight<T extends HTMLElement>(current: unknown): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(
    () =>
      ref.current?.querySelector('[aria-current="page"]')?.scrollIntoView({
        block: "nearest",
        inline: "nearest",
      }),
    [current],
  );
  return ref;
}
