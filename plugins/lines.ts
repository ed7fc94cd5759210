/**
 * Newline-delimited framing for the host ↔ sandbox-process socket. Each line is one JSON envelope; JSON
 * text never holds a raw newline, so lines need no escaping.
 * @module
 */

/** Calls `onLine` for every complete line of `stream` (without the newline); resolves at end of stream. */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  maxLineLength: number,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
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
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #encoder = new TextEncoder();
  #queue: string[] = [];
  #flushing = false;
  #closed = false;

  constructor(writable: WritableStream<Uint8Array>) {
    this.#writer = writable.getWriter();
  }

  /** Whether the stream failed or was closed; later writes are dropped. */
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

  /** Closes the stream; queued lines are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#writer.close().catch(() => {});
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const text = this.#queue.join("");
        this.#queue = [];
        await this.#writer.write(this.#encoder.encode(text));
      }
    } catch {
      this.#closed = true; // the other end is gone; its owner learns that from the read side
      this.#queue = [];
    } finally {
      this.#flushing = false;
    }
  }
}
