/**
 * A Preact hook over `@tanstack/virtual-core`: only the rows on screen (plus a few) exist in the DOM,
 * whatever the list's length; rows are measured as they render, so messages of any height fit.
 * @module
 */

import {
  elementScroll,
  measureElement,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
} from "@tanstack/virtual-core";
import type { RefObject } from "preact";
import { useLayoutEffect, useReducer, useRef } from "preact/hooks";

/** A virtualizer for `count` rows inside the scroll container `scrollRef`. */
export function useVirtualizer(
  count: number,
  scrollRef: RefObject<HTMLElement | null>,
  estimate: number,
): Virtualizer<HTMLElement, Element> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const ref = useRef<Virtualizer<HTMLElement, Element> | null>(null);
  const options = {
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimate,
    overscan: 6,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    measureElement,
    onChange: () => rerender(0),
  };
  if (!ref.current) ref.current = new Virtualizer(options);
  else ref.current.setOptions({ ...ref.current.options, ...options });
  const v = ref.current;
  useLayoutEffect(() => v._didMount(), [v]);
  useLayoutEffect(() => v._willUpdate());
  return v;
}
