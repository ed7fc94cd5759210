/**
 * Virtual scrolling for lists of any length: only the rows near the view exist in the DOM, and what the
 * page keeps per row is a height in a typed array (12 bytes a row), so a 100,000-row list costs about
 * what a 10,000-row one does. Rows are measured by a `ResizeObserver` (sizes arrive after layout, no
 * synchronous reads while rendering), a measured row above the view keeps the view still, and a list
 * scrolled to its end stays there as rows grow or arrive.
 * @module
 */

/**
 * Row heights as a Fenwick tree: a row's offset, the row at an offset and the total are O(log n), setting
 * a height is O(log n). Rows not measured yet count as the estimate.
 * @example
 * ```ts
 * const heights = new RowHeights(100);
 * heights.setCount(3);
 * heights.set(1, 250);
 * heights.offsetOf(2); // 350
 * heights.indexAt(120); // 1
 * ```
 */
export class RowHeights {
  #sizes = new Float32Array(0);
  /** 1-based Fenwick tree over `#sizes`; entries past the count are zero. */
  #tree = new Float64Array(1);
  #count = 0;

  /** Rows not measured yet count as `estimate` pixels. */
  constructor(readonly estimate: number) {}

  /** How many rows there are. */
  get count(): number {
    return this.#count;
  }

  /** Grows (new rows at the estimate) or shrinks the list at its end; measured rows keep their height. */
  setCount(count: number): void {
    const old = this.#count;
    if (count === old) return;
    if (count > this.#sizes.length) {
      const sizes = new Float32Array(Math.max(count, this.#sizes.length * 2, 64));
      sizes.set(this.#sizes.subarray(0, old));
      sizes.fill(this.estimate, old, count);
      this.#sizes = sizes;
      this.#count = count;
      this.#rebuild();
      return;
    }
    this.#count = count;
    for (let i = old; i < count; i++) this.#add(i, this.#sizes[i] = this.estimate);
    for (let i = count; i < old; i++) {
      this.#add(i, -this.#sizes[i]);
      this.#sizes[i] = 0;
    }
  }

  /** The height of row `index`. */
  size(index: number): number {
    return this.#sizes[index];
  }

  /** Sets the height of row `index`; answers how much it changed. */
  set(index: number, height: number): number {
    if (index < 0 || index >= this.#count) return 0;
    const delta = Math.fround(height) - this.#sizes[index];
    if (delta === 0) return 0;
    this.#sizes[index] += delta;
    this.#add(index, delta);
    return delta;
  }

  /** Where row `index` starts: the heights of the rows before it. */
  offsetOf(index: number): number {
    let sum = 0;
    for (let j = Math.min(index, this.#count); j > 0; j -= j & -j) sum += this.#tree[j];
    return sum;
  }

  /** The height of all rows. */
  total(): number {
    return this.offsetOf(this.#count);
  }

  /** The row covering offset `y` (the first or last row for offsets outside the list). */
  indexAt(y: number): number {
    if (this.#count === 0) return 0;
    const n = this.#tree.length - 1;
    let pos = 0, rest = y;
    for (let step = 1 << (31 - Math.clz32(n)); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.#tree[next] <= rest) {
        pos = next;
        rest -= this.#tree[next];
      }
    }
    return Math.min(pos, this.#count - 1);
  }

  #add(index: number, delta: number): void {
    for (let j = index + 1; j < this.#tree.length; j += j & -j) this.#tree[j] += delta;
  }

  #rebuild(): void {
    const n = this.#sizes.length;
    const tree = new Float64Array(n + 1);
    for (let j = 1; j <= n; j++) {
      tree[j] += j <= this.#count ? this.#sizes[j - 1] : 0;
      const parent = j + (j & -j);
      if (parent <= n) tree[parent] += tree[j];
    }
    this.#tree = tree;
  }
}

/** The rows to render, both ends included (`last < first` when there are none). */
export interface Range {
  first: number;
  last: number;
}

/** How a list scrolled within this many pixels of its end counts as at the end. */
const END_SLACK = 48;

/**
 * The scroll model of one list: which rows to render for the scroll position, where the rendered window
 * sits, and the measured heights. The view renders {@link VirtualList.range}, puts
 * {@link VirtualList.observe} on each row (an element with `data-index`) and calls
 * {@link VirtualList.layout} after each render; the model calls `onChange` when a different range is due.
 *
 * One layout per frame: a scroll only asks for an animation frame, which reads the scroll position (layout
 * is clean then) and asks for a render when the range changed, so the render's DOM writes come before the
 * frame's layout. The `ResizeObserver` (it reports after that layout) records the sizes and keeps the top
 * row still by moving the scroll position alone, which needs no second layout; the list's new height and
 * the rows the new sizes bring wait for the next frame, except at the end of the list, which must follow
 * its last row in the frame that shows it.
 * @example
 * ```ts
 * const list = new VirtualList(140, 600, () => rerender());
 * list.attach(scroller, inner, windowElement);
 * list.setCount(10_000); // at the end: the last rows
 * const { first, last } = list.range();
 * ```
 */
export class VirtualList {
  /** The heights of the rows. */
  readonly heights: RowHeights;
  #scroller: HTMLElement | null = null;
  #inner: HTMLElement | null = null;
  #window: HTMLElement | null = null;
  #top = 0;
  #viewport = 0;
  #atEnd = true;
  #rendered: Range = { first: 0, last: -1 };
  #observer: ResizeObserver | null = null;
  /** The pending animation frame, 0 when none. */
  #frame = 0;
  /** The list height and window offset last written, so an unchanged value is not written again. */
  #height = -1;
  #offset = -1;

  /**
   * `estimate` is the height of a row not measured yet, `overscan` how many pixels beyond the view on
   * each side are rendered.
   */
  constructor(estimate: number, readonly overscan: number, readonly onChange: () => void) {
    this.heights = new RowHeights(estimate);
  }

  /** Whether the view follows the end of the list (it was scrolled there, or nothing moved it yet). */
  get atEnd(): boolean {
    return this.#atEnd;
  }

  /** Starts watching the scroll container; `inner` carries the full height, `window` the rendered rows. */
  attach(scroller: HTMLElement, inner: HTMLElement, window: HTMLElement): void {
    this.#scroller = scroller;
    this.#inner = inner;
    this.#window = window;
    this.#viewport = scroller.clientHeight;
    this.#top = scroller.scrollTop;
    this.#height = this.#offset = -1;
    scroller.addEventListener("scroll", this.#schedule, { passive: true });
    this.#observer = new ResizeObserver((entries) => this.#measured(entries));
    this.#observer.observe(scroller);
  }

  /** Stops watching. */
  detach(): void {
    this.#scroller?.removeEventListener("scroll", this.#schedule);
    this.#observer?.disconnect();
    this.#observer = null;
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#scroller = this.#inner = this.#window = null;
  }

  /** The row count changed (rows arrived or went at the end, or a new list): a view at the end stays there. */
  setCount(count: number): void {
    this.heights.setCount(count);
  }

  /** Forgets every height and follows the end again (another list is shown). */
  reset(count: number): void {
    this.heights.setCount(0);
    this.heights.setCount(count);
    this.#atEnd = true;
  }

  /** Follows the end of the list from now on and shows it. */
  scrollToEnd(): void {
    this.#atEnd = true;
    this.layout();
  }

  /** The rows to render now. */
  range(): Range {
    const count = this.heights.count;
    if (count === 0) return { first: 0, last: -1 };
    // before the first measurement of the container, the window's height is a fair guess
    const viewport = this.#viewport || globalThis.innerHeight || 800;
    const top = this.#atEnd ? Math.max(0, this.heights.total() - viewport) : this.#top;
    return {
      first: this.heights.indexAt(Math.max(0, top - this.overscan)),
      last: this.heights.indexAt(top + viewport + this.overscan),
    };
  }

  /**
   * After a render of `rendered`: sizes the list, places the window of rendered rows and, when following
   * the end, scrolls there. Only writes (called before the frame's layout).
   */
  layout(rendered: Range = this.#rendered): void {
    this.#rendered = rendered;
    if (!this.#scroller) return;
    const total = this.#place();
    if (this.#atEnd) this.#scrollTo(Math.max(0, total - this.#viewport));
  }

  /** Measures a row element (it carries `data-index`) from now on, whenever its size changes. */
  observe(element: Element): void {
    this.#observer?.observe(element);
  }

  /** Stops measuring a row element. */
  unobserve(element: Element): void {
    this.#observer?.unobserve(element);
  }

  /** Writes the list's height and the window's offset where they changed; answers the height. */
  #place(): number {
    const total = this.heights.total();
    if (total !== this.#height) {
      this.#height = total;
      this.#inner!.style.height = `${total}px`;
    }
    const offset = this.heights.offsetOf(this.#rendered.first);
    if (offset !== this.#offset) {
      this.#offset = offset;
      this.#window!.style.transform = `translateY(${offset}px)`;
    }
    return total;
  }

  #scrollTo(top: number): void {
    // reading the position costs nothing here: the callers run right after a layout or before any write
    if (Math.abs(this.#scroller!.scrollTop - top) >= 0.5) this.#scroller!.scrollTop = top;
    this.#top = top;
  }

  #schedule = (): void => {
    if (!this.#frame) this.#frame = requestAnimationFrame(this.#update);
  };

  /** Once per frame when something moved: reads the scroll position, renders a new range, places the rows. */
  #update = (): void => {
    this.#frame = 0;
    const scroller = this.#scroller;
    if (!scroller) return;
    const top = scroller.scrollTop;
    if (top !== this.#top) {
      this.#top = top;
      this.#atEnd = top + this.#viewport >= this.heights.total() - END_SLACK;
    }
    const next = this.range();
    if (next.first !== this.#rendered.first || next.last !== this.#rendered.last) this.onChange();
    else this.layout();
  };

  /** Resize observer entries arrive after layout: reading sizes and the scroll position forces nothing. */
  #measured(entries: ResizeObserverEntry[]): void {
    const scroller = this.#scroller;
    if (!scroller) return;
    const heights = this.heights;
    // a scroll whose event is not dispatched yet still counts (the view may have left the end)
    const top = scroller.scrollTop;
    if (top !== this.#top) {
      this.#top = top;
      this.#atEnd = top + this.#viewport >= heights.total() - END_SLACK;
    }
    // the row at the top of the view stays where it is while rows above it change height
    const anchor = heights.indexAt(top);
    const into = top - heights.offsetOf(anchor);
    let moved = false;
    for (const entry of entries) {
      const size = entry.borderBoxSize?.[0]?.blockSize ?? entry.contentRect.height;
      if (entry.target === scroller) {
        moved ||= size !== this.#viewport;
        this.#viewport = size;
        continue;
      }
      const index = Number((entry.target as HTMLElement).dataset.index);
      if (Number.isInteger(index) && heights.set(index, size) !== 0) moved = true;
    }
    if (!moved) return;
    if (this.#atEnd) this.layout();
    else {
      const kept = heights.offsetOf(anchor) + into;
      // the list's height may only grow by this frame's measurements: a position the current height
      // cannot reach needs the new height first (a layout more, rare: near the end)
      if (kept + this.#viewport > this.#height) this.#place();
      this.#scrollTo(kept);
    }
    this.#schedule();
  }
}
