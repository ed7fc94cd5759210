/**
 * A host with plugins in a process of its own, for tests that kill the host: it starts the sandbox
 * harness with three plugins (two sharing a sandbox process, one isolated), prints one JSON line
 * `{ "pids": [...] }` with the sandbox process ids, and waits. SIGINT closes it cleanly; any other
 * ending (SIGTERM, SIGKILL) leaves the sandbox processes to notice on their own.
 * @module
 */

import { startSandboxHarness } from "./sandbox-harness.ts";

const h = await startSandboxHarness({
  plugins: [
    { id: "one", files: { "index.js": `console.log("one");` } },
    { id: "two", files: { "index.js": `setInterval(() => {}, 1000);` } },
    {
      id: "alone",
      manifest: { isolation: "process" },
      files: { "index.js": `setTimeout(() => { while (true) {} }, 0);` },
    },
  ],
  // the looping plugin must still be running when the host goes away
  supervisor: { hangMs: 60_000 },
});
Deno.addSignalListener("SIGINT", async () => {
  await h.close();
  Deno.exit(0);
});
console.log(JSON.stringify({ pids: h.pids() }));
