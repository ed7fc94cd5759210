import assert from "node:assert/strict";
import { join } from "node:path";
import { LodgeError } from "../../core/errors.ts";
import { EventBus } from "../../core/events.ts";
import { eventTypes } from "../../core/event-types.ts";
import { Secrets } from "../../core/secrets.ts";

const A = "sk-first-aaaaaaaaaaaaaaaa";
const B = "sk-second-bbbbbbbbbbbbbbb";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lodge-secrets-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function kindOf(error: unknown): string {
  return error instanceof LodgeError ? error.kind : String(error);
}

Deno.test("secrets are write-only, rotate, delete and resolve by id", () =>
  withDir(async (dir) => {
    const events = new EventBus();
    const seen: unknown[][] = [];
    for (const name of [eventTypes.SECRET_WRITTEN, eventTypes.SECRET_ROTATED, eventTypes.SECRET_DELETED]) {
      events.on(name, (...args: unknown[]) => void seen.push([name, ...args]));
    }
    const secrets = new Secrets(dir, events);
    const first = await secrets.write("api_key_openai", A, "work");
    const second = await secrets.write("api_key_openai", B);
    assert.deepEqual(await secrets.list(), [
      { key: "api_key_openai", id: first, label: "work", active: false },
      { key: "api_key_openai", id: second, label: "Unlabeled", active: true },
    ]);
    assert.equal(await secrets.resolve("api_key_openai"), B);
    assert.equal(await secrets.resolve("api_key_openai", first), A);
    assert.equal(
      await secrets.resolve("api_key_openai", "no-such-id"),
      B,
      "unknown id falls back to the active one",
    );
    assert.equal(await secrets.resolve("api_key_openrouter", first), null, "ids are scoped to their key");

    await secrets.rotate("api_key_openai", first);
    assert.equal(await secrets.resolve("api_key_openai"), A);
    assert.equal(kindOf(await secrets.rotate("api_key_openai", "nope").catch((e) => e)), "not_found");

    await secrets.delete("api_key_openai");
    assert.deepEqual((await secrets.list()).map((s) => [s.id, s.active]), [[second, true]]);
    await secrets.delete("api_key_openai", second);
    assert.deepEqual(await secrets.list(), []);
    assert.equal(kindOf(await secrets.delete("api_key_openai").catch((e) => e)), "not_found");

    assert.ok(seen.length === 5 && seen.every((event) => !JSON.stringify(event).includes("sk-")));
  }));

Deno.test("bad keys and empty values are refused", () =>
  withDir(async (dir) => {
    const secrets = new Secrets(dir);
    assert.equal(kindOf(await secrets.write("../etc", A).catch((e) => e)), "invalid");
    assert.equal(kindOf(await secrets.write("api_key_openai", "").catch((e) => e)), "invalid");
  }));

Deno.test("the file is mode 0600, atomic, and read back by a new instance", () =>
  withDir(async (dir) => {
    const secrets = new Secrets(dir);
    const ids = await Promise.all([A, B, "sk-third"].map((v, i) => secrets.write(`api_key_${i}`, v)));
    const path = join(dir, "secrets.json");
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["secrets.json"], "no temp file left");
    const again = new Secrets(dir);
    assert.equal(await again.resolve("api_key_1"), B);
    assert.deepEqual((await again.list()).map((s) => s.id), ids);
  }));

Deno.test("a flat legacy file with loose permissions is read and tightened", () =>
  withDir(async (dir) => {
    const path = join(dir, "secrets.json");
    await Deno.writeTextFile(path, JSON.stringify({ api_key_custom: A }), { mode: 0o644 });
    if (Deno.build.os !== "windows") await Deno.chmod(path, 0o644);
    const secrets = new Secrets(dir);
    assert.equal(await secrets.resolve("api_key_custom"), A);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  }));

Deno.test("values never show in inspection or serialisation", () =>
  withDir(async (dir) => {
    const secrets = new Secrets(dir);
    await secrets.write("api_key_openai", A);
    await secrets.resolve("api_key_openai");
    for (
      const shown of [Deno.inspect(secrets, { showHidden: true, depth: 10 }), JSON.stringify({ secrets })]
    ) {
      assert.ok(!shown.includes(A), shown);
    }
  }));
