/**
 * Reading server-sent events: the `data` payloads of a byte stream.
 * @module
 */

/**
 * Yields the `data` payload of every event in an SSE byte stream, in order. Multi-line data joins with
 * `\n`; comments and other fields are skipped; CRLF and LF line ends are both accepted.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  // typed through the plain stream pair so the module also checks under the DOM library (web UI)
  const decoder = new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>;
  const reader = body.pipeThrough(decoder).getReader();
  let buffer = "";
  let data: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (data.length) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line[5] === " " ? 6 : 5));
        }
      }
    }
    // a stream may end without the blank line that closes its last event
    if (buffer.startsWith("data:")) data.push(buffer.slice(buffer[5] === " " ? 6 : 5));
    if (data.length) yield data.join("\n");
  } finally {
    // stops the underlying request when the consumer leaves early (abort, error, break)
    await reader.cancel().catch(() => {});
  }
}
