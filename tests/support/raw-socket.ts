/**
 * A bare WebSocket for protocol tests: sends raw text, and hands out received frames in order, so tests
 * see exactly what the host put on the wire.
 * @module
 */

/** An open raw socket. */
export interface RawSocket {
  socket: WebSocket;
  /** Sends text as is, or a value as JSON. */
  send(frame: unknown): void;
  /** The next frame received, parsed. */
  next(): Promise<unknown>;
  /** Frames received and not yet taken. */
  buffered(): number;
  /** Closes and waits for the close to finish. */
  close(): Promise<void>;
}

/** Opens `url` with a bearer token and resolves once open. */
export async function openRawSocket(url: string, token: string): Promise<RawSocket> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const inbox: unknown[] = [];
  const waiters: ((value: unknown) => void)[] = [];
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  socket.addEventListener("message", (event) => {
    const value = JSON.parse(String(event.data));
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else inbox.push(value);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("could not connect")), { once: true });
  });
  return {
    socket,
    send: (frame) => socket.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    next: () =>
      inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve) => waiters.push(resolve)),
    buffered: () => inbox.length,
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      await closed;
    },
  };
}
