/**
 * A loopback server for RPC tests: `POST /rpc` and `GET /rpc` (WebSocket) over a real `Lodge` (an
 * in-memory SQLite store with the first-run seed), the
 * event methods and the test table. A `?plugin=<id>` query stamps a plugin caller, standing in for the
 * sandbox transport that stamps plugin ids in the real host.
 * @module
 */

import { Lodge } from "../../core/lodge.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { createDispatcher, type DispatcherOptions } from "../../rpc/dispatcher.ts";
import { handleRpcHttp } from "../../rpc/http.ts";
import type { Caller, Dispatcher, Peer } from "../../rpc/method.ts";
import { createEventMethods } from "../../rpc/methods/events.ts";
import { serveRpcSocket } from "../../rpc/websocket.ts";
import { createTestMethods, type TestMethods } from "./rpc-test-methods.ts";

/** Options of {@link startRpcFixture}. */
export interface RpcFixtureOptions {
  /** Dispatcher limits and hooks; internal errors are collected in {@link RpcFixture.internalErrors}. */
  dispatcher?: DispatcherOptions;
  /** Deadline of awaited remote listeners. */
  eventDeadlineMs?: number;
}

/** A running fixture. */
export interface RpcFixture {
  lodge: Lodge;
  dispatcher: Dispatcher;
  test: TestMethods;
  /** `http://127.0.0.1:<port>/rpc` */
  url: string;
  /** `ws://127.0.0.1:<port>/rpc` */
  wsUrl: string;
  token: string;
  /** Errors that became -32603 or that event listeners threw. */
  internalErrors: unknown[];
  /** The server side of every socket accepted so far, oldest first. */
  peers: Peer[];
  /** Closes every socket and the server. */
  close(): Promise<void>;
}

/** The event methods and the test table, as served by the fixture. */
export function fixtureMethods(test: TestMethods, eventDeadlineMs?: number) {
  return [...createEventMethods({ deadlineMs: eventDeadlineMs }), ...test.methods];
}

/** Starts the fixture on a free port. Async so a real host, which starts asynchronously, can replace it. */
export function startRpcFixture(options: RpcFixtureOptions = {}): Promise<RpcFixture> {
  const internalErrors: unknown[] = [];
  const lodge = new Lodge(openSqliteStore(":memory:"), {
    onListenerError: (_event, error) => internalErrors.push(error),
  });
  seedDefaults(lodge);
  const test = createTestMethods();
  const dispatcher = createDispatcher(fixtureMethods(test, options.eventDeadlineMs), lodge, {
    onInternalError: (error) => internalErrors.push(error),
    ...options.dispatcher,
  });
  const token = crypto.randomUUID();
  const sockets = new Set<WebSocket>();
  const peers: Peer[] = [];
  let connections = 0;

  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/rpc") return new Response("not found", { status: 404 });
    if (request.headers.get("authorization") !== `Bearer ${token}`) {
      return new Response("unauthorized", { status: 401 });
    }
    const plugin = url.searchParams.get("plugin");
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      const caller: Caller = plugin
        ? { kind: "plugin", pluginId: plugin }
        : { kind: "client", connectionId: `ws-${++connections}` };
      sockets.add(socket);
      socket.addEventListener("close", () => sockets.delete(socket));
      peers.push(serveRpcSocket(socket, dispatcher, { caller }));
      return response;
    }
    const caller: Caller = plugin
      ? { kind: "plugin", pluginId: plugin }
      : { kind: "client", connectionId: "http" };
    return handleRpcHttp(dispatcher, request, caller);
  });
  const { port } = server.addr;
  return Promise.resolve({
    lodge,
    dispatcher,
    test,
    url: `http://127.0.0.1:${port}/rpc`,
    wsUrl: `ws://127.0.0.1:${port}/rpc`,
    token,
    internalErrors,
    peers,
    async close() {
      test.release();
      const closing = [...sockets].map((socket) =>
        new Promise((resolve) => {
          socket.addEventListener("close", resolve);
          socket.close();
        })
      );
      await Promise.all(closing);
      await server.shutdown();
      lodge.close();
    },
  });
}
