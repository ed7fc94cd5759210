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
  #root: Int32Array;
  #edgeStart: Int32Array;
  #edgeChar: Uint16Array;
  #edgeTarget: Int32Array;
  #fail: Int32Array;
  #output: Int32Array;
  #dict: Int32Array;

  /** Builds the automaton. Patterns must be distinct and non-empty. */
  constructor(patterns: readonly string[]) {
    this.size = patterns.length;
    this.lengths = Int32Array.from(patterns, (p) => p.length);
    // Trie with per-node child maps, flattened below.
    const children: Map<number, number>[] = [new Map()];
    const output: number[] = [-1];
    patterns.forEach((pattern, id) => {
      let node = 0;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern.charCodeAt(i);
        let next = children[node].get(c);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          output.push(-1);
          children[node].set(c, next);
        }
        node = next;
      }
      output[node] = id;
    });
    const n = children.length;
    this.#edgeStart = new Int32Array(n + 1);
    let edges = 0;
    for (let i = 0; i < n; i++) {
      this.#edgeStart[i] = edges;
      edges += children[i].size;
    }
    this.#edgeStart[n] = edges;
    this.#edgeChar = new Uint16Array(edges);
    this.#edgeTarget = new Int32Array(edges);
    for (let i = 0; i < n; i++) {
      const sorted = [...children[i]].sort((a, b) => a[0] - b[0]);
      let at = this.#edgeStart[i];
      for (const [c, t] of sorted) {
        this.#edgeChar[at] = c;
        this.#edgeTarget[at++] = t;
      }
    }
    this.#root = new Int32Array(ROOT_TABLE_SIZE);
    for (const [c, t] of children[0]) this.#root[c] = t;
    this.#output = Int32Array.from(output);
    this.#fail = new Int32Array(n);
    this.#dict = new Int32Array(n).fill(-1);
    // Breadth-first: a node's failure link is the longest proper suffix that is also a trie path.
    const queue = new Int32Array(n);
    let head = 0, tail = 0;
    for (const t of children[0].values()) queue[tail++] = t;
    while (head < tail) {
      const node = queue[head++];
      for (const [c, child] of children[node]) {
        const target = this.#step(this.#fail[node], c);
        this.#fail[child] = target;
        this.#dict[child] = this.#output[target] >= 0 ? target : this.#dict[target];
        queue[tail++] = child;
      }
    }
  }

  /** The child of `node` on `c`, or -1. */
  #child(node: number, c: number): number {
    let lo = this.#edgeStart[node];
    let hi = this.#edgeStart[node + 1];
    if (hi - lo <= LINEAR_EDGE_LIMIT) {
      for (; lo < hi; lo++) if (this.#edgeChar[lo] === c) return this.#edgeTarget[lo];
      return -1;
    }
    hi--;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.#edgeChar[mid];
      if (m === c) return this.#edgeTarget[mid];
      if (m < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The automaton's transition from `node` on `c`, following failure links. */
  #step(node: number, c: number): number {
    while (node !== 0) {
      const t = this.#child(node, c);
      if (t >= 0) return t;
      node = this.#fail[node];
    }
    return this.#root[c];
  }

  /**
   * Calls `onMatch(patternId, end)` for every occurrence in `text` (`end` is the index after its last
   * code unit), in order of `end`.
   */
  scan(text: string, onMatch: (pattern: number, end: number) => void): void {
    if (this.size === 0) return;
    const output = this.#output, dict = this.#dict;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      node = this.#step(node, text.charCodeAt(i));
      let o = output[node] >= 0 ? node : dict[node];
      while (o >= 0) {
        onMatch(output[o], i + 1);
        o = dict[o];
      }
    }
  }
}
