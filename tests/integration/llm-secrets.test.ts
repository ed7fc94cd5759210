import assert from "node:assert/strict";
import { join } from "node:path";
import { eventTypes } from "../../core/event-types.ts";
import { RpcError } from "../../rpc/errors.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { captureConsole, startLlmHost, useEndpoint } from "../support/llm-host.ts";

const K1 = "sk-live-FIRST-0123456789abcdef";
const K2 = "sk-live-SECOND-fedcba9876543210";

Deno.test("secret_id picks the key, and no key reaches any result, error, event or log line", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  const seen: string[] = [];
  const outputs: string[] = [];
  const leaks = (text: string) => text.includes(K1) || text.includes(K2);
  const record = <T>(value: T): T => {
    const text = JSON.stringify(value);
    seen.push(text);
    return value;
  };
  // deno-lint-ignore no-explicit-any
  const step = (name: string, fn: () => Promise<any>) =>
    t.step(name, async () => {
      const { output } = await captureConsole(fn);
      outputs.push(output);
    });
  try {
    for (const name of Object.values(eventTypes)) {
      host.lodge.events.on(name, (...args: unknown[]) => void record(args));
    }
    const body = (extra: Record<string, unknown> = {}) => ({
      chat_completion_source: "custom",
      custom_url: fake.url,
      model: "m",
      messages: [{ role: "user", content: "x" }],
      ...extra,
    });
    let id1 = "", id2 = "";

    await step("keys are written, listed without values, and stored 0600", async () => {
      id1 = record(
        (await host.post("/api/secrets/write", { key: "api_key_custom", value: K1, label: "first" })).body,
      ).id;
      id2 = record((await host.post("/api/secrets/write", { key: "api_key_custom", value: K2 })).body).id;
      const list = record((await host.post("/api/secrets/list", {})).body);
      assert.deepEqual(list, [
        { key: "api_key_custom", id: id1, label: "first", active: false },
        { key: "api_key_custom", id: id2, label: "Unlabeled", active: true },
      ]);
      if (Deno.build.os !== "windows") {
        assert.equal((await Deno.stat(join(host.dataDir, "secrets.json"))).mode! & 0o777, 0o600);
      }
    });

    await step("the route honours secret_id and falls back to the active secret", async () => {
      record((await host.post("/api/backends/chat-completions/generate", body({ secret_id: id1 }))).body);
      assert.equal(fake.last.authorization, `Bearer ${K1}`);
      record((await host.post("/api/backends/chat-completions/generate", body())).body);
      assert.equal(fake.last.authorization, `Bearer ${K2}`);
      record(
        (await host.post("/api/backends/chat-completions/generate", body({ secret_id: "unknown-id" }))).body,
      );
      assert.equal(fake.last.authorization, `Bearer ${K2}`);
      record((await host.post("/api/secrets/rotate", { key: "api_key_custom", id: id1 })).body);
      record((await host.post("/api/backends/chat-completions/generate", body())).body);
      assert.equal(fake.last.authorization, `Bearer ${K1}`);
    });

    await step("sendOpenAIRequest takes secret_id from the override or a connection profile", async () => {
      await useEndpoint(host.models.presets, fake.url);
      record(
        await host.rpc.call("sendOpenAIRequest", "quiet", [{ role: "user", content: "y" }], null, {
          apiSettingsOverride: { secret_id: id2 },
        }),
      );
      assert.equal(fake.last.authorization, `Bearer ${K2}`);
      record(
        await host.rpc.call("connectionProfiles.save", {
          name: "Second key",
          api: "custom",
          "api-url": fake.url,
          "secret-id": id2,
        }),
      );
      record(
        await host.rpc.call("sendOpenAIRequest", "quiet", [{ role: "user", content: "y" }], null, {
          apiPresetName: "second key",
        }),
      );
      assert.equal(fake.last.authorization, `Bearer ${K2}`);
      record(await host.rpc.call("sendOpenAIRequest", "quiet", [{ role: "user", content: "y" }], null, {}));
      assert.equal(fake.last.authorization, `Bearer ${K1}`, "the active one without an id");
      record(await host.rpc.call("connectionProfiles.list"));
      record(await host.rpc.call("presets.getLive"));
      record(await host.rpc.call("presets.resolve"));
    });

    await step("a plugin cannot send the custom key to an endpoint of its choosing", async () => {
      const evil = FakeOpenAI.start();
      try {
        const plugin = await host.socket("exfiltrator");
        const direct = await plugin.call(
          "sendOpenAIRequest",
          "quiet",
          [{ role: "user", content: "z" }],
          null,
          {
            apiSettingsOverride: { custom_url: evil.url },
          },
        ).then(() => null, (e: unknown) => e);
        assert.ok(direct instanceof RpcError && direct.code === -32002, String(direct));
        // a preset the plugin saves keeps no connection fields, so naming it changes nothing
        await plugin.call("presets.save", { name: "Evil" }, {
          chat_completion_source: "custom",
          custom_url: evil.url,
        });
        record(
          await plugin.call("sendOpenAIRequest", "quiet", [{ role: "user", content: "z" }], null, {
            apiPresetName: "Evil",
          }),
        );
        assert.equal((await host.rpc.call("presets.getStored", { name: "Evil" }))?.custom_url, undefined);
        const retarget = (data: Record<string, unknown>) => void (data.custom_url = evil.url);
        host.lodge.events.on(eventTypes.CHAT_COMPLETION_SETTINGS_READY, retarget);
        const edited = await host.rpc.call(
          "sendOpenAIRequest",
          "quiet",
          [{ role: "user", content: "z" }],
          null,
          {},
        )
          .then(() => null, (e: unknown) => e);
        host.lodge.events.off(eventTypes.CHAT_COMPLETION_SETTINGS_READY, retarget);
        assert.ok(edited instanceof RpcError && edited.code === -32002, String(edited));
        assert.equal(evil.requests.length, 0, "nothing reached the foreign endpoint");
        record(
          await plugin.call("sendOpenAIRequest", "quiet", [{ role: "user", content: "z" }], null, {
            apiSettingsOverride: { custom_url: `${fake.url}/` },
          }),
        );
        assert.equal(fake.last.authorization, `Bearer ${K1}`, "a known endpoint still gets its key");
      } finally {
        await evil.close();
      }
    });

    await step("an upstream 401 that quotes the key is reported without it", async () => {
      const quoting = {
        kind: "error" as const,
        status: 401,
        body: { error: { message: `bad key ${K1} ${K2}` } },
      };
      fake.enqueue(quoting, quoting);
      const routed = record(await host.post("/api/backends/chat-completions/generate", body()));
      assert.equal((routed as { status: number }).status, 403);
      const error = await host.rpc.call(
        "sendOpenAIRequest",
        "quiet",
        [{ role: "user", content: "y" }],
        null,
        {},
      ).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof RpcError);
      record({ message: error.message, data: error.data });
      assert.match(error.message, /refused the credentials \(401\)/);
    });

    await step("a bad write is refused without echoing the value", async () => {
      const res = record(await host.post("/api/secrets/write", { key: "bad key!", value: K1 }));
      assert.equal((res as { status: number }).status, 400);
      const long = record(await host.post("/api/secrets/write", { key: "k", value: K2.repeat(1000) }));
      assert.equal((long as { status: number }).status, 400);
    });

    await step("secrets.* over RPC is write-only and refused to plugins", async () => {
      const { id } = record(await host.rpc.call("secrets.write", "api_key_openrouter", K2, "rpc"));
      const listed = record(await host.rpc.call("secrets.list"));
      assert.deepEqual(listed.find((s) => s.id === id), {
        key: "api_key_openrouter",
        id,
        label: "rpc",
        active: true,
      });
      const plugin = await host.socket("curious-plugin");
      for (
        const call of [
          () => plugin.call("secrets.list"),
          () => plugin.call("secrets.write", "api_key_openai", "x"),
        ]
      ) {
        const error = await call().then(() => null, (e: unknown) => e);
        assert.ok(error instanceof RpcError && error.code === -32002, String(error));
      }
      record(await host.rpc.call("secrets.delete", "api_key_openrouter", id));
    });

    await step("a source that needs a key says so", async () => {
      const res = record(
        await host.post("/api/backends/chat-completions/generate", {
          ...body(),
          chat_completion_source: "openrouter",
        }),
      );
      assert.equal((res as { status: number }).status, 400);
      assert.match(
        (res as { body: { message: string } }).body.message,
        /no API key is stored for openrouter/,
      );
    });

    assert.ok(seen.length > 20);
    for (const text of [...seen, ...outputs]) assert.ok(!leaks(text), `a key leaked: ${text.slice(0, 200)}`);
  } finally {
    await fake.close();
    await host.close();
  }
});
