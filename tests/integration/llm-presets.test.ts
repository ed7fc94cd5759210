import assert from "node:assert/strict";
import { RpcError } from "../../rpc/errors.ts";
import { startLlmHost } from "../support/llm-host.ts";

function rpcCode(error: unknown): number | string {
  return error instanceof RpcError ? error.code : String(error);
}

Deno.test("preset routes and methods", async (t) => {
  const host = await startLlmHost();
  try {
    await t.step("save, read back over RPC, patch with guards", async () => {
      const saved = await host.post("/api/presets/save", {
        apiId: "openai",
        name: "Route Preset",
        preset: { temperature: 0.6, chat_completion_source: "openrouter", openrouter_model: "x/y" },
      });
      assert.deepEqual([saved.status, saved.body], [200, { name: "Route Preset" }]);
      assert.deepEqual((await host.rpc.call("presets.list")).map((r) => r.name), ["Default", "Route Preset"]);
      assert.deepEqual(
        await host.rpc.call("presets.getStored", { collection: "openai", name: "route preset" }),
        {
          temperature: 0.6,
          chat_completion_source: "openrouter",
          openrouter_model: "x/y",
        },
      );
      assert.equal((await host.rpc.call("presets.resolve", { name: "Route Preset" })).requestModel, "x/y");

      const patched = await host.post("/api/presets/patch", {
        apiId: "openai",
        name: "route preset",
        operations: [{ op: "test", path: "/temperature", value: 0.6 }, {
          op: "replace",
          path: "/temperature",
          value: 0.8,
        }],
      });
      assert.deepEqual([patched.status, patched.body], [200, {
        result: "ok",
        applied: 2,
        name: "Route Preset",
      }]);
      const single = await host.post("/api/presets/patch", {
        apiId: "openai",
        name: "Route Preset",
        operation: { op: "add", path: "/seed", value: 3 },
      });
      assert.equal(single.body.applied, 1);
      const stale = await host.post("/api/presets/patch", {
        apiId: "openai",
        name: "Route Preset",
        operations: [{ op: "test", path: "/temperature", value: 0.6 }],
      });
      assert.equal(stale.status, 409);
      for (
        const [body, status] of [
          [
            { apiId: "openai", name: "Route Preset", operations: [{ op: "move", path: "/a", from: "/b" }] },
            400,
          ],
          [{ apiId: "openai", name: "Route Preset", operations: [] }, 400],
          [{ apiId: "openai", name: "Missing", operations: [{ op: "add", path: "/a", value: 1 }] }, 404],
          [{ apiId: "bogus", name: "Route Preset", operations: [{ op: "add", path: "/a", value: 1 }] }, 400],
        ] as const
      ) {
        assert.equal((await host.post("/api/presets/patch", body)).status, status, JSON.stringify(body));
      }
    });

    await t.step("preset state routes", async () => {
      const target = { apiId: "openai", name: "Route Preset" };
      const created = await host.post("/api/presets/state/patch", {
        ...target,
        namespace: "My Plugin",
        operations: [{ op: "add", path: "/runs", value: 1 }],
      });
      assert.deepEqual(created.body, { ok: true, applied: 1, created: true });
      assert.deepEqual(
        (await host.post("/api/presets/state/get", { ...target, namespace: "my plugin" })).body,
        {
          ok: true,
          data: { runs: 1 },
        },
      );
      await host.post("/api/presets/state/patch", {
        ...target,
        namespace: "second",
        operations: [{ op: "add", path: "/on", value: true }],
      });
      assert.deepEqual(
        (await host.post("/api/presets/state/get-batch", {
          ...target,
          namespaces: ["my plugin", "second", "none"],
        }))
          .body,
        { ok: true, data: { "my plugin": { runs: 1 }, second: { on: true }, none: null } },
      );
      const conflict = await host.post("/api/presets/state/patch", {
        ...target,
        namespace: "second",
        operations: [{ op: "test", path: "/on", value: false }, { op: "remove", path: "/on" }],
      });
      assert.equal(conflict.status, 409);
      assert.deepEqual(
        (await host.post("/api/presets/state/delete", { ...target, namespace: "second" })).body,
        {
          ok: true,
          deleted: true,
        },
      );
      assert.deepEqual((await host.post("/api/presets/state/delete-all", target)).body, {
        ok: true,
        deleted: 1,
      });
      assert.equal((await host.post("/api/presets/state/get", { ...target, namespace: "" })).status, 400);
      assert.equal(
        (await host.post("/api/presets/state/get", { apiId: "openai", name: "Nope", namespace: "x" })).status,
        404,
      );
    });

    await t.step("presets.state.update from a plugin: guarded ops, conflict on a stale guard", async () => {
      const plugin = await host.socket("stateful");
      const ops = [{ op: "add" as const, path: "/count", value: 1 }];
      assert.deepEqual(await plugin.call("presets.state.update", "stateful", ops), {
        ok: true,
        applied: 1,
        created: true,
      });
      assert.deepEqual(
        await plugin.call("presets.state.get", "stateful"),
        { count: 1 },
        "the selected preset by default",
      );
      const stale = [{ op: "test" as const, path: "/count", value: 0 }, {
        op: "replace" as const,
        path: "/count",
        value: 5,
      }];
      assert.equal(
        rpcCode(await plugin.call("presets.state.update", "stateful", stale).catch((e) => e)),
        -32000,
      );
      const fresh = [{ op: "test" as const, path: "/count", value: 1 }, {
        op: "replace" as const,
        path: "/count",
        value: 2,
      }];
      await plugin.call("presets.state.update", "stateful", fresh, {
        target: { apiId: "openai", name: "default" },
      });
      assert.deepEqual(await plugin.call("presets.state.getBatch", ["stateful"]), { stateful: { count: 2 } });
      assert.deepEqual(await plugin.call("presets.state.deleteAll"), { ok: true, deleted: 1 });
    });

    await t.step("plugins save and read presets; selecting and deleting are admin-only", async () => {
      const plugin = await host.socket("preset-plugin");
      await plugin.call("presets.save", { collection: "openai", name: "From Plugin" }, { temperature: 0.3 });
      assert.equal((await plugin.call("presets.getStored", { name: "from plugin" }))?.temperature, 0.3);
      assert.equal(
        rpcCode(await plugin.call("presets.select", "openai", "From Plugin").catch((e) => e)),
        -32002,
      );
      assert.equal(
        rpcCode(await plugin.call("presets.delete", { name: "From Plugin" }).catch((e) => e)),
        -32002,
      );
      assert.equal(
        rpcCode(await plugin.call("connectionProfiles.save", { name: "p", api: "openai" }).catch((e) => e)),
        -32002,
      );
      await host.post("/api/presets/save", {
        apiId: "openai",
        name: "Wired",
        preset: { chat_completion_source: "openrouter", openrouter_model: "a/b", temperature: 1 },
      });
      await plugin.call("presets.save", { name: "Wired" }, {
        chat_completion_source: "custom",
        custom_url: "http://elsewhere/v1",
        secret_id: "other",
        temperature: 0.1,
      });
      assert.deepEqual(await plugin.call("presets.getStored", { name: "Wired" }), {
        temperature: 0.1,
        chat_completion_source: "openrouter",
        openrouter_model: "a/b",
      }, "a plugin changes generation fields, never the connection");
      assert.equal(
        rpcCode(await plugin.call("presets.save", { name: "Wired" }, {}, { select: true }).catch((e) => e)),
        -32002,
      );
      const live = await host.rpc.call("presets.select", "openai", "from plugin");
      assert.equal(live.ref?.name, "From Plugin");
      assert.equal((await plugin.call("presets.getSelected"))?.name, "From Plugin");
      assert.deepEqual((await plugin.call("presets.getLive"))?.body, { temperature: 0.3 });
      const edited = await host.rpc.call("presets.patchLive", "openai", [{
        op: "add",
        path: "/top_p",
        value: 0.5,
      }]);
      assert.equal(edited.stored, false);
    });

    await t.step("delete route", async () => {
      assert.deepEqual(
        (await host.post("/api/presets/delete", { apiId: "openai", name: "From Plugin" })).body,
        { ok: true },
      );
      assert.equal(
        (await host.post("/api/presets/delete", { apiId: "openai", name: "From Plugin" })).status,
        404,
      );
      assert.equal(await host.rpc.call("presets.getSelected"), null);
      assert.equal((await host.rpc.call("presets.getLive"))?.source, "runtime");
    });

    await t.step("connection profiles over RPC", async () => {
      await host.rpc.call("connectionProfiles.save", {
        name: "Router",
        api: "openrouter",
        model: "m/1",
        "secret-id": "abc",
      });
      assert.deepEqual(await host.rpc.call("connectionProfiles.resolve", "router"), {
        requestApi: "openai",
        requestModel: "m/1",
        requestUrl: "https://openrouter.ai/api/v1",
        secretId: "abc",
      });
      await host.rpc.call("connectionProfiles.apply", "Router");
      assert.equal((await host.rpc.call("presets.resolve")).requestModel, "m/1");
      assert.equal(
        rpcCode(await host.rpc.call("connectionProfiles.save", { name: "x", api: "nope" }).catch((e) => e)),
        -32602,
      );
      await host.rpc.call("connectionProfiles.delete", "router");
      assert.deepEqual(await host.rpc.call("connectionProfiles.list"), []);
    });
    assert.deepEqual(host.internalErrors, []);
  } finally {
    await host.close();
  }
});
