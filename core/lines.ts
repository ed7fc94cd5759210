/**
 * Newline-delimited framing between the host and its helper processes (the plugin sandbox's socket, the
 * regex runner's pipes). Each line is one JSON envelope; JSON text never holds a raw newline, so lines
 * need no escaping. Reads and writes go straight to the connection (no web streams): on these paths every
 * microsecond of a round trip counts.
 * @module
 */

/** What {@link readLines} reads from. */
export interface ByteReader {
  read(buffer: Uint8Array): Promise<number | null>;
}

/** What {@link LineWriter} writes to. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /**
   * Also hand over a last line that has no newline at the end of input (files; a framed connection
   * leaves it out, as a cut-off frame).
   */
  trailing?: boolean;
  /**
   * The buffer to read into (default: a new 256 KiB one). A caller reading many files one after another
   * passes one buffer for all of them: a fresh buffer per file is garbage the heap collects late.
   */
  buffer?: Uint8Array;
}

/** Calls `onLine` for every complete line (without the newline); resolves at end of input. */
export async function readLines(
  reader: ByteReader,
  onLine: (line: string) => void,
  maxLineLength: number,
  options: ReadLinesOptions = {},
): Promise<void> {
  const decoder = new TextDecoder();
  const buffer = options.buffer ?? new Uint8Array(256 * 1024);
  let pending = "";
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) {
      pending += decoder.decode();
      if (options.trailing && pending !== "") onLine(pending);
      return;
    }
    const text = decoder.decode(buffer.subarray(0, n), { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const line = pending + text.slice(start, nl);
      pending = "";
      start = nl + 1;
      onLine(line);
    }
    pending += text.slice(start);
    if (pending.length > maxLineLength) throw new RangeError(`line longer than ${maxLineLength} characters`);
  }
}

/**
 * Writes lines in call order. Lines written in the same tick go out in one write, which keeps a burst
 * of small frames from costing one system call each.
 */
export class LineWriter {
  #writer: ByteWriter;
  #encoder = new TextEncoder();
  #queue: string[] = [];
  #flushing = false;
  #closed = false;
  #drained: (() => void)[] = [];

  constructor(writer: ByteWriter) {
    this.#writer = writer;
  }

  /** Whether the connection failed or the writer was closed; later writes are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues one line (a newline is added). */
  write(line: string): void {
    if (this.#closed) return;
    this.#queue.push(line, "\n");
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /**
   * Resolves once every line queued so far went to the connection (or the writer closed): a sender of
   * much data waits on it before queuing more, so the connection's backpressure reaches it.
   */
  drained(): Promise<void> {
    if (!this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Drops queued lines and refuses new ones (the connection itself is its owner's to close). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let bytes = this.#encoder.encode(this.#queue.join(""));
        this.#queue = [];
        while (bytes.length > 0) bytes = bytes.subarray(await this.#writer.write(bytes));
      }
    } catch {
      this.close(); // the other end is gone; its owner learns that from the read side
    } finally {
      this.#flushing = false;
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }
}

/**
 * A {@link ByteReader} over a byte stream (a child process's stdout), for {@link readLines}.
 *
 * @example
 * ```ts
 * await readLines(streamReader(child.stdout), (line) => console.log(line), 1 << 20);
 * ```
 */
export function streamReader(stream: ReadableStream<Uint8Array>): ByteReader {
  const reader = stream.getReader();
  let rest: Uint8Array | null = null;
  return {
    async read(buffer: Uint8Array): Promise<number | null> {
      if (!rest) {
        const next = await reader.read();
        if (next.done) return null;
        rest = next.value;
      }
      const n = Math.min(buffer.length, rest.length);
      buffer.set(rest.subarray(0, n));
      rest = n < rest.length ? rest.subarray(n) : null;
      return n;
    },
  };
}

/**
 * A {@link ByteWriter} over a byte stream (a child process's stdin), for {@link LineWriter}.
 *
 * @example
 * ```ts
 * new LineWriter(streamWriter(child.stdin)).write("{}");
 * ```
 */
export function streamWriter(stream: WritableStream<Uint8Array>): ByteWriter {
  const writer = stream.getWriter();
  return {
    async write(bytes: Uint8Array): Promise<number> {
      await writer.write(bytes);
      return bytes.length;
    },
  };
}
