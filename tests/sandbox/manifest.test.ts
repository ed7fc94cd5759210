/**
 * Manifest validation: SillyTavern's fields pass, and every grant a manifest asks for is checked; a bad
 * one is a refusal with a reason naming it, never silently dropped.
 */

import assert from "node:assert/strict";
import { grantsOf, isNetGrant, parseManifest } from "../../plugins/manifest.ts";

function reason(manifest: unknown): string {
  const result = parseManifest(JSON.stringify(manifest));
  assert.equal(result.ok, false, `accepted ${JSON.stringify(manifest)}`);
  return result.ok ? "" : result.reason;
}

Deno.test("a SillyTavern manifest with Lodge's permissions is accepted", () => {
  const result = parseManifest(JSON.stringify({
    display_name: "Example",
    loading_order: 5,
    requires: ["other"],
    optional: ["maybe"],
    js: "src/index.ts",
    css: "style.css",
    author: "someone",
    version: "1.2.3",
    homePage: "https://example.com",
    auto_update: true,
    minimum_client_version: "1.0.0",
    i18n: { "de-de": "i18n/de.json" },
    generate_interceptor: "intercept", // SillyTavern fields Lodge does not read are kept
    permissions: {
      net: ["api.example.com", "127.0.0.1:8080", "[::1]:9000"],
      read: ["user/files"],
      env: ["API_KEY"],
    },
    isolation: "process",
  }));
  assert.ok(result.ok, !result.ok ? result.reason : "");
  assert.deepEqual(grantsOf(result.manifest), {
    net: ["api.example.com", "127.0.0.1:8080", "[::1]:9000"],
    read: ["user/files"],
    env: ["API_KEY"],
    orderConfig: false,
  });
  assert.equal(result.manifest.generate_interceptor, "intercept");
  const bare = parseManifest(JSON.stringify({ js: "index.js" }));
  assert.ok(bare.ok);
  assert.deepEqual(grantsOf(bare.manifest), { net: [], read: [], env: [], orderConfig: false });
});

Deno.test("bad grants are refused with a reason", async (t) => {
  await t.step("unknown permission keys", () => {
    assert.match(reason({ js: "i.js", permissions: { run: ["ls"] } }), /permissions.*run|Unrecognized/i);
    assert.match(reason({ js: "i.js", permissions: { write: ["x"] } }), /write/);
  });
  await t.step("bad hosts", () => {
    for (
      const host of [
        "https://example.com",
        "example.com/path",
        "*.example.com",
        "*",
        "",
        "a b",
        "host:0",
        "host:70000",
        "host:",
        "user@host",
        "1.2.3",
        "-bad.com",
        "unix:/tmp/s.sock",
        "[nothex]:1",
      ]
    ) {
      assert.equal(isNetGrant(host), false, host);
      assert.match(reason({ js: "i.js", permissions: { net: [host] } }), /permissions\.net\.0/);
    }
    for (
      const host of ["localhost", "example.com:443", "10.0.0.1", "[2001:db8::1]", "xn--bcher-kva.example"]
    ) {
      assert.equal(isNetGrant(host), true, host);
    }
  });
  await t.step("absolute paths, .., protected names", () => {
    for (
      const path of [
        "/etc",
        "../x",
        "a/../../b",
        "a/./b",
        "",
        ".",
        "C:/x",
        "a\\b",
        "token",
        "secrets.json",
        "db/lodge.db",
        "x/store.sqlite-wal",
      ]
    ) {
      assert.match(reason({ js: "i.js", permissions: { read: [path] } }), /permissions\.read\.0/, path);
    }
  });
  await t.step("env names, including the host's own", () => {
    for (const name of ["1BAD", "A-B", "", "LODGE_TOKEN", "lodge_x", "DENO_DIR"]) {
      assert.match(reason({ js: "i.js", permissions: { env: [name] } }), /permissions\.env\.0/, name);
    }
  });
  await t.step("entry module and other fields", () => {
    assert.match(reason({}), /js/);
    assert.match(reason({ js: "../evil.js" }), /leaves the folder/);
    assert.match(reason({ js: "/abs.js" }), /absolute/);
    assert.match(reason({ js: "style.css" }), /entry module/);
    assert.match(reason({ js: "i.js", isolation: "thread" }), /isolation/);
    assert.match(reason({ js: "i.js", requires: ["../x"] }), /requires/);
    assert.match(reason({ js: "i.js", loading_order: "1" }), /loading_order/);
  });
  await t.step("not JSON", () => {
    const result = parseManifest("{ js: 'index.js' }");
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : "", /not JSON/);
  });
});
