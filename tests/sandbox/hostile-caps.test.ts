/**
 * Hostile plugins reaching for capabilities no plugin gets: environment variables not granted,
 * subprocesses, FFI, system information, a nested worker asking for more than its parent, and code
 * fetched at run time (a remote module, an uncached npm package, a module on a port it may reach).
 */

import assert from "node:assert/strict";
import {
  assertAllDenied,
  assertAllowed,
  assertDenied,
  assertGoodAnswers,
  assertHostAnswers,
  assertNoLeak,
  CountingServer,
  type Hostile,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

const CANARY_NAME = "HOSTILE_CANARY_SECRET";
const GRANTED_NAME = "HOSTILE_GRANTED_VALUE";

Deno.test("hostile: env, run, ffi, sys, nested workers and remote code are denied", async (t) => {
  const canary = `env-${crypto.randomUUID()}`;
  const marker = await Deno.makeTempDir({ prefix: "lodge-run-" });
  const codeServer = new CountingServer();
  // the host process holds a secret in its environment; the plugins must not see it
  Deno.env.set(CANARY_NAME, canary);
  Deno.env.set(GRANTED_NAME, "granted-ok");
  let started: Hostile | undefined;
  try {
    started = await startHostile([
      jsPlugin(
        "evil-caps",
        `${PROBE}
await attempt("granted env", () => Deno.env.get(${JSON.stringify(GRANTED_NAME)}));
await attempt("env canary", () => Deno.env.get(${
          JSON.stringify(CANARY_NAME)
        }) ?? Promise.reject(new Error("unset")));
await attempt("env toObject", () => Deno.env.toObject());
await attempt("env has", () => Deno.env.has(${
          JSON.stringify(CANARY_NAME)
        }) || Promise.reject(new Error("no")));
await attempt("env PATH", () => Deno.env.get("PATH") ?? Promise.reject(new Error("unset")));
await attempt("node process.env", async () => (await import("node:process")).env[${
          JSON.stringify(CANARY_NAME)
        }] ?? Promise.reject(new Error("unset")));
report("ENV");

await attempt("Deno.Command", () => new Deno.Command("/bin/sh", { args: ["-c", "touch ${marker}/command"] }).output());
await attempt("Deno.Command spawn", () => new Deno.Command("/bin/sh", { args: ["-c", "touch ${marker}/spawn"] }).spawn().status);
await attempt("Deno.run", () => Deno.run({ cmd: ["/bin/sh", "-c", "touch ${marker}/run"] }).status());
await attempt("node child_process", async () =>
  (await import("node:child_process")).execFileSync("/bin/sh", ["-c", "touch ${marker}/node"], { env: {} }));
await attempt("node spawnSync", async () => {
  const r = (await import("node:child_process")).spawnSync("/bin/sh", ["-c", "touch ${marker}/spawnsync"], { env: {} });
  if (r.error) throw r.error;
  return r.status;
});
report("RUN");

await attempt("Deno.dlopen libc", () => Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }).symbols.getpid());
await attempt("Deno.dlopen absolute", () => Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", { getpid: { parameters: [], result: "i32" } }).symbols.getpid());
await attempt("node process.dlopen", async () => (await import("node:process")).dlopen({ exports: {} }, "/lib/x86_64-linux-gnu/libc.so.6"));
report("FFI");

await attempt("hostname", () => Deno.hostname());
await attempt("osRelease", () => Deno.osRelease());
await attempt("networkInterfaces", () => Deno.networkInterfaces());
await attempt("loadavg", () => Deno.loadavg());
await attempt("systemMemoryInfo", () => Deno.systemMemoryInfo());
await attempt("uid", () => Deno.uid());
await attempt("permissions.request read", async () => {
  const status = await Deno.permissions.request({ name: "read", path: "/" });
  if (status.state !== "granted") throw new Error(status.state);
  return status.state;
});
await attempt("permissions.request run", async () => {
  const status = await Deno.permissions.request({ name: "run" });
  if (status.state !== "granted") throw new Error(status.state);
  return status.state;
});
report("SYS");

function startWorker(name, permissions) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./nested.js", import.meta.url), { type: "module", name, deno: { permissions } });
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => { e.preventDefault(); w.terminate(); reject(new Error(e.message)); };
  });
}
await attempt("nested worker read all", () => startWorker("r", { read: true }));
await attempt("nested worker net all", () => startWorker("n", { net: true }));
await attempt("nested worker env", () => startWorker("e", { env: [${JSON.stringify(CANARY_NAME)}] }));
await attempt("nested worker run", () => startWorker("x", { run: true }));
await attempt("nested worker ffi", () => startWorker("f", { ffi: true }));
await attempt("nested worker write", () => startWorker("w", { write: true }));
await attempt("nested worker import", () => startWorker("i", { import: true }));
await attempt("nested worker inherit reads /etc/passwd", () => startWorker("h", "inherit").then((r) => r.ok ? r.value : Promise.reject(new Error(r.error))));
report("WORKER");

await attempt("import https deno.land", () => import("https://deno.land/std@0.224.0/fmt/colors.ts"));
await attempt("import https esm.sh", () => import("https://esm.sh/left-pad@1.3.0"));
await attempt("import https jsr", () => import("https://jsr.io/@std/fmt/1.0.0/colors.ts"));
await attempt("import jsr:", () => import("jsr:@std/fmt@1/colors"));
await attempt("import uncached npm", () => import("npm:left-pad@1.3.0"));
await attempt("import granted loopback module", () => import("http://127.0.0.1:${codeServer.port}/mod.js"));
await attempt("fetch granted loopback (control)", async () => (await fetch("http://127.0.0.1:${codeServer.port}/control", { headers: { "x-from": "control" } })).text());
report("IMPORT");
console.log("evil-caps done");
`,
        { permissions: { env: [GRANTED_NAME], net: [`127.0.0.1:${codeServer.port}`] } },
        {
          "nested.js": `
try { postMessage({ ok: true, value: Deno.readTextFileSync("/etc/passwd") }); }
catch (e) { postMessage({ ok: false, error: e.name + ": " + e.message }); }
`,
        },
      ),
    ]);

    const { h } = started;
    await t.step("environment variables not granted", async () => {
      const report = await h.result<Report>("evil-caps", "ENV");
      assertAllowed(report, "granted env");
      assert.equal(report["granted env"].value, "granted-ok");
      for (const name of ["env canary", "env toObject", "env has", "env PATH", "node process.env"]) {
        assertDenied(report, name);
      }
      assertNoLeak(h, canary);
    });

    await t.step("subprocesses", async () => {
      const report = await h.result<Report>("evil-caps", "RUN");
      assertAllDenied(report);
      const made: string[] = [];
      for await (const entry of Deno.readDir(marker)) made.push(entry.name);
      assert.deepEqual(made, [], "a subprocess ran");
    });

    await t.step("FFI", async () => {
      const report = await h.result<Report>("evil-caps", "FFI");
      assertAllDenied(report);
    });

    await t.step("system information and permission prompts", async () => {
      const report = await h.result<Report>("evil-caps", "SYS");
      assertAllDenied(report);
    });

    await t.step("a nested worker asking for more than its parent", async () => {
      const report = await h.result<Report>("evil-caps", "WORKER");
      assertAllDenied(report);
    });

    await t.step("code from the network and uncached npm packages", async () => {
      const report = await h.result<Report>("evil-caps", "IMPORT");
      assertAllowed(report, "fetch granted loopback (control)");
      for (const name of Object.keys(report)) {
        if (!name.includes("control")) assertDenied(report, name);
      }
      assert.deepEqual(codeServer.hits.filter((h) => h.path === "/mod.js"), [], "the module was fetched");
    });

    await t.step("the host and a good plugin still answer", async () => {
      await assertHostAnswers(h, "after the capability attempts");
      await assertGoodAnswers(h, "after the capability attempts");
    });
  } finally {
    await started?.h.close();
    Deno.env.delete(CANARY_NAME);
    Deno.env.delete(GRANTED_NAME);
    await codeServer.close();
    await Deno.remove(marker, { recursive: true });
  }
});
