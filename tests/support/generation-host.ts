/**
 * A real host for the generation tests: `startTestHost` on a temp data folder holding the plugin
 * folders a test describes (real sandbox workers), the live preset pointed at a fake OpenAI-compatible
 * server on loopback (streaming on unless asked otherwise), and WebSocket RPC clients with the token.
 *
 * ```ts
 * await using g = await startGenerationHost({ plugins: [{ id: "probe", files: { "index.js": "..." } }] });
 * g.fake.enqueue({ kind: "reply", content: ["Hel", "lo"] });
 * const result = await g.rpc.call("generate", "normal");
 * ```
 * @module
 */

import type { Lodge } from "../../core/lodge.ts";
import { createSocketClient, type SocketClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { FakeOpenAI } from "./fake-openai.ts";
import { startTestHost, type TestHost } from "./host.ts";
import { useEndpoint } from "./llm-host.ts";
import { type PluginFixture, writePluginFolder } from "./sandbox-harness.ts";

/** The typed method table. */
export type Methods = typeof methods;

/** A running generation host. */
export interface GenerationHost extends AsyncDisposable {
  test: TestHost;
  lodge: Lodge;
  fake: FakeOpenAI;
  /** A socket client as the UI (token-holding). */
  rpc: SocketClient<Methods>;
  /** Opens another socket client (closed with the host). */
  connect(): Promise<SocketClient<Methods>>;
  /** Waits until a plugin is running. */
  running(id: string): Promise<void>;
  /** The log lines of a plugin, oldest first. */
  logs(id: string): string[];
  /** Waits for a plugin line `"<key> <json>"` and returns the parsed JSON. */
  result<T = unknown>(id: string, key: string): Promise<T>;
  close(): Promise<void>;
}

/** Options of {@link startGenerationHost}. */
export interface GenerationHostOptions {
  plugins?: PluginFixture[];
  /** Stream replies (default true). */
  stream?: boolean;
}

/** Polls `check` every 10 ms until it holds; fails naming `what` after `timeoutMs` (default 20 s). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts the host, the fake model and one socket client. */
export async function startGenerationHost(options: GenerationHostOptions = {}): Promise<GenerationHost> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-gen-test-" });
  for (const plugin of options.plugins ?? []) await writePluginFolder(`${dataDir}`, plugin);
  const fake = FakeOpenAI.start();
  const test = await startTestHost({ dataDir });
  const lodge = test.host.lodge;
  useEndpoint(lodge.presets, fake.url, [
    { op: "replace", path: "/stream_openai", value: options.stream ?? true },
  ]);
  const clients: SocketClient<Methods>[] = [];
  const connect = async () => {
    const client = await createSocketClient<Methods>(`${test.url}/rpc`, { token: test.token });
    clients.push(client);
    return client;
  };
  const rpc = await connect();
  const lines = (id: string) => (lodge.plugins?.logs(id) ?? []).map((l) => l.text);
  const close = async () => {
    for (const c of clients) await c.close().catch(() => {});
    await test.close();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  for (const plugin of options.plugins ?? []) {
    await waitFor(
      () => lodge.plugins?.list().find((p) => p.id === plugin.id)?.state === "running",
      plugin.id,
    );
  }
  return {
    test,
    lodge,
    fake,
    rpc,
    connect,
    running: (id) => waitFor(() => lodge.plugins?.list().find((p) => p.id === id)?.state === "running", id),
    logs: lines,
    async result<T>(id: string, key: string): Promise<T> {
      const find = () => lines(id).findLast((l) => l.startsWith(`${key} `));
      await waitFor(() => find() !== undefined, `${id} ${key}`);
      return JSON.parse(find()!.slice(key.length + 1)) as T;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
