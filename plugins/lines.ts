/**
 * Newline-delimited framing for the host ↔ sandbox-process socket. Each line is one JSON envelope; JSON
 * text never holds a raw newline, so lines need no escaping. Reads and writes go straight to the
 * connection (no web streams): on this path every microsecond of a round trip counts.
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

/** Calls `onLine` for every complete line (without the newline); resolves at end of input. */
export async function readLines(
  reader: ByteReader,
  onLine: (line: string) => void,
  maxLineLength: number,
): Promise<void> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(256 * 1024);
  let pending = "";
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) return;
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
    }
  }
}
