/**
 * JSON-RPC transport cost on loopback against a real host: one `POST /rpc getMessageCount` and one
 * WebSocket round trip of the same call, through the typed clients. Run with
 * `deno bench -A --json bench/rpc.bench.ts`; at exit a JSON line per case (median, p99, requests/s) goes to
 * stderr.
 */
import { startHost } from "../main.ts";
import { createHttpClient, createSocketClient } from "../rpc/client.ts";
import type { methods } from "../rpc/methods/mod.ts";
import { Samples } from "./samples.ts";

const dataDir = await Deno.makeTempDir({ prefix: "lodge-bench-rpc-" });
const host = await startHost({ port: 0, dataDir, token: "bench" });
const http = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
const socket = await createSocketClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
const samples = new Samples();
addEventListener("unload", () => {
  console.error(["rpc:", ...samples.lines()].join("\n"));
  socket.close();
  host.close().then(() => Deno.removeSync(dataDir, { recursive: true }));
});

Deno.bench({
  name: "POST /rpc getMessageCount",
  group: "rpc",
  baseline: true,
  fn: samples.timedAsync("POST /rpc getMessageCount", async () => {
    await http.call("getMessageCount");
  }),
});

Deno.bench({
  name: "WebSocket round trip getMessageCount",
  group: "rpc",
  fn: samples.timedAsync("WebSocket round trip getMessageCount", async () => {
    await socket.call("getMessageCount");
  }),
});
