/**
 * JSON-RPC transport cost on loopback against a real host: one `POST /rpc getMessageCount` and one
 * WebSocket round trip of the same call, through the typed clients. Run with
 * `deno bench -A --json bench/rpc.bench.ts`; `avg`, `p75` and `p99` are per call, requests/s is 1e9/avg.
 */
import { startHost } from "../main.ts";
import { createHttpClient, createSocketClient } from "../rpc/client.ts";
import type { methods } from "../rpc/methods/mod.ts";

const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-rpc-" });
const host = await startHost({ port: 0, dataDir, token: "bench" });
const http = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
const socket = await createSocketClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
addEventListener("unload", () => {
  socket.close();
  host.close().then(() => Deno.removeSync(dataDir, { recursive: true }));
});

Deno.bench({ name: "POST /rpc getMessageCount", group: "rpc", baseline: true }, async () => {
  await http.call("getMessageCount");
});

Deno.bench({ name: "WebSocket round trip getMessageCount", group: "rpc" }, async () => {
  await socket.call("getMessageCount");
});
