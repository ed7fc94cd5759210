/**
 * A multi-pattern string matcher (Aho-Corasick over UTF-16 code units): built once from every plain key
 * of a book, it finds all of them in one pass over a text. Edges live in flat typed arrays (the root in
 * a direct table), so a book of 100,000 entries stays compact and a scan touches no per-node objects.
 * @module
 */

const ROOT_TABLE_SIZE = 0x10000;
const LINEAR_EDGE_LIMIT = 8;

/** Finds every occurrence of a fixed set of patterns. Pattern ids are their indexes in the input. */
export class PatternMatcher {
  /** Number of patterns. */
  readonly size: number;
  /** Length of each pattern. */
  readonly lengths: Int32Array;
  /** Transitions of the root, by code unit. */
  #root: Int32Array;
  /**
   * Four numbers per node, nodes numbered breadth first (the shallow nodes a scan visits most sit
   * together): first edge, end of its edges, failure link, first node of its output chain (or -1).
   */
  #nodes: Int32Array;
  /** Two numbers per edge: code unit, target node; each node's edges sorted by code unit. */
  #edges: Int32Array;
  /** Pattern ending at each node, or -1. */
  #output: Int32Array;
  /** Next node of the output chain (the nearest failure ancestor with an output), or -1. */
  #dict: Int32Array;

  /** Builds the automaton. Patterns must be distinct and non-empty. */
  constructor(patterns: readonly string[]) {
    this.size = patterns.length;
    this.lengths = Int32Array.from(patterns, (p) => p.length);
    // The trie from the patterns in code-unit order: each one shares its prefix with the one before, so
    // nodes come in depth-first order with every node's children in ascending code units, and no
    // per-node objects are needed.
    const idOf = new Map(patterns.map((p, i) => [p, i]));
    const inOrder = [...patterns].sort();
    let capacity = 1, longest = 0;
    for (const p of patterns) {
      capacity += p.length;
      longest = Math.max(longest, p.length);
    }
    const parent = new Int32Array(capacity);
    const unit = new Uint16Array(capacity);
    const ends = new Int32Array(capacity).fill(-1);
    const path = new Int32Array(longest + 1);
    let n = 1, previous = "";
    for (const pattern of inOrder) {
      let shared = 0;
      const limit = Math.min(previous.length, pattern.length);
      while (shared < limit && previous.charCodeAt(shared) === pattern.charCodeAt(shared)) shared++;
      for (let d = shared; d < pattern.length; d++) {
        parent[n] = path[d];
        unit[n] = pattern.charCodeAt(d);
        path[d + 1] = n++;
      }
      ends[path[pattern.length]] = idOf.get(pattern)!;
      previous = pattern;
    }
    // Children of each node, in creation (= code-unit) order.
    const childStart = new Int32Array(n + 1);
    for (let k = 1; k < n; k++) childStart[parent[k] + 1]++;
    for (let k = 0; k < n; k++) childStart[k + 1] += childStart[k];
    const childList = new Int32Array(Math.max(n - 1, 0));
    const fill = childStart.slice(0, n);
    for (let k = 1; k < n; k++) childList[fill[parent[k]]++] = k;
    // Breadth-first numbering.
    const order = new Int32Array(n);
    const renamed = new Int32Array(n);
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      const old = order[head];
      for (let e = childStart[old]; e < childStart[old + 1]; e++) {
        renamed[childList[e]] = tail;
        order[tail++] = childList[e];
      }
    }
    const nodes = new Int32Array(n * 4);
    const edges = new Int32Array((n - 1) * 2);
    const output = new Int32Array(n);
    let at = 0;
    for (let k = 0; k < n; k++) {
      const old = order[k];
      output[k] = ends[old];
      nodes[k * 4] = at;
      for (let e = childStart[old]; e < childStart[old + 1]; e++) {
        const child = childList[e];
        edges[at * 2] = unit[child];
        edges[at * 2 + 1] = renamed[child];
        at++;
      }
      nodes[k * 4 + 1] = at;
    }
    this.#nodes = nodes;
    this.#edges = edges;
    this.#output = output;
    this.#root = new Int32Array(ROOT_TABLE_SIZE);
    for (let e = nodes[0]; e < nodes[1]; e++) this.#root[edges[e * 2]] = edges[e * 2 + 1];
    const dict = new Int32Array(n).fill(-1);
    nodes[3] = -1;
    // In breadth-first order a node's failure link is known before its children need it.
    for (let k = 0; k < n; k++) {
      for (let e = nodes[k * 4]; e < nodes[k * 4 + 1]; e++) {
        const child = edges[e * 2 + 1];
        const fail = k === 0 ? 0 : this.#step(nodes[k * 4 + 2], edges[e * 2]);
        nodes[child * 4 + 2] = fail;
        dict[child] = nodes[fail * 4 + 3];
        nodes[child * 4 + 3] = output[child] >= 0 ? child : dict[child];
      }
    }
    this.#dict = dict;
  }

  /** The automaton's transition from `node` on `c`, following failure links. */
  #step(node: number, c: number): number {
    const nodes = this.#nodes, edges = this.#edges;
    while (node !== 0) {
      for (let e = nodes[node * 4], end = nodes[node * 4 + 1]; e < end; e++) {
        if (edges[e * 2] === c) return edges[e * 2 + 1];
      }
      node = nodes[node * 4 + 2];
    }
    return this.#root[c];
  }

  /**
   * Calls `onMatch(patternId, end)` for every occurrence in `text` (`end` is the index after its last
   * code unit), in order of `end`.
   */
  scan(text: string, onMatch: (pattern: number, end: number) => void): void {
    if (this.size === 0) return;
    // The transition loop is inlined over locals: this is the hot loop of every scan.
    const nodes = this.#nodes, edges = this.#edges, root = this.#root;
    const output = this.#output, dict = this.#dict;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      for (;;) {
        if (node === 0) {
          node = root[c];
          break;
        }
        const base = node * 4;
        let lo = nodes[base], hi = nodes[base + 1], next = -1;
        if (hi - lo <= LINEAR_EDGE_LIMIT) {
          for (; lo < hi; lo++) {
            if (edges[lo * 2] === c) {
              next = edges[lo * 2 + 1];
              break;
            }
          }
        } else {
          hi--;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            const m = edges[mid * 2];
            if (m === c) {
              next = edges[mid * 2 + 1];
              break;
            }
            if (m < c) lo = mid + 1;
            else hi = mid - 1;
          }
        }
        if (next >= 0) {
          node = next;
          break;
        }
        node = nodes[base + 2];
      }
      for (let o = nodes[node * 4 + 3]; o >= 0; o = dict[o]) onMatch(output[o], i + 1);
    }
  }
}
