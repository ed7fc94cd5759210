import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { OFFLINE_MODEL } from "../../core/llm/offline.ts";
import type { PatchOp } from "../../core/patch.ts";
import { RpcError } from "../../rpc/errors.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startLlmHost, until, useEndpoint } from "../support/llm-host.ts";

Deno.test("online_status, checkConnection and listModels follow the live connection", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  const { lodge } = host;
  const statusOps: unknown[] = [];
  lodge.context.onPatch((ops: PatchOp[]) => {
    for (const op of ops) if (op.path === "/online_status") statusOps.push(op.value);
  });
  const socket = await host.socket();
  const events: unknown[] = [];
  await socket.on(eventTypes.ONLINE_STATUS_CHANGED, (status) => events.push(status));
  /** Waits for the socket to have seen `n` status events. */
  const eventsSeen = (n: number) => until(() => events.length >= n, `${n} ONLINE_STATUS_CHANGED events`);
  const host127 = new URL(fake.url).host;
  try {
    await t.step("the offline default counts as connected and lists itself", async () => {
      assert.equal(lodge.context.snapshot().online_status, "valid");
      assert.equal(await host.rpc.call("checkConnection"), "valid");
      const models = await host.rpc.call("listModels");
      assert.deepEqual(models.map((m) => m.id), [OFFLINE_MODEL]);
      assert.deepEqual(events, [], "no change, no event");
    });

    await t.step("a new endpoint is probed with GET /models, not as a chat request", async () => {
      await useEndpoint(lodge.presets, fake.url);
      await until(() => fake.modelRequests.length === 1, "the probe");
      assert.equal(fake.requests.length, 0);
      assert.equal(await host.rpc.call("checkConnection"), "valid");
      assert.equal(fake.modelRequests.length, 2);
      assert.deepEqual(events, [], "still valid: no event");
      assert.deepEqual((await host.rpc.call("listModels")).map((m) => m.id), ["fake-model"]);
    });

    await t.step("a refusal becomes the status text, emitted once, mirrors updated", async () => {
      fake.modelsError = { status: 401, body: { error: { message: "bad key" } } };
      const status = await host.rpc.call("checkConnection");
      assert.equal(status, `${host127} refused the credentials (401): check the API key`);
      await eventsSeen(1);
      assert.deepEqual(events, [status]);
      assert.equal(lodge.context.snapshot().online_status, status);
      assert.deepEqual(statusOps, [status]);
      assert.equal(await host.rpc.call("checkConnection"), status);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(events.length, 1, "the same status again is no change");
      const refused = await host.rpc.call("listModels").catch((e) => e);
      assert.ok(refused instanceof RpcError && refused.message.includes("(401)"), String(refused));
    });

    await t.step("writing the live source's key re-checks; secrets never reach the status", async () => {
      const secret = "sk-status-test-0123456789abcdef";
      fake.modelsError = { status: 500, body: { error: { message: `upstream saw key ${secret}` } } };
      const before = fake.modelRequests.length;
      await host.rpc.call("secrets.write", "api_key_custom", secret);
      await until(() => fake.modelRequests.length === before + 1, "the probe after the key was written");
      await eventsSeen(2);
      const status = String(events[1]);
      assert.match(status, /failed \(500\)/);
      assert.ok(!status.includes(secret.slice(4, 20)), status);
      assert.ok(status.includes("[redacted]"), status);
      assert.equal(fake.modelRequests.at(-1)!.authorization, `Bearer ${secret}`);
      fake.modelsError = null;
      assert.equal(await host.rpc.call("checkConnection"), "valid");
      await eventsSeen(3);
      assert.equal(events[2], "valid");
    });

    await t.step("an endpoint that cannot be reached, then back to the offline model", async () => {
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (closed.addr as Deno.NetAddr).port;
      closed.close();
      await useEndpoint(lodge.presets, `http://127.0.0.1:${port}/v1`);
      await eventsSeen(4);
      assert.match(String(events[3]), new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}`));
      assert.equal(lodge.context.snapshot().online_status, events[3]);
      lodge.presets.patchLive("openai", [{
        op: "replace",
        path: "/chat_completion_source",
        value: "offline",
      }]);
      await eventsSeen(5);
      assert.equal(events[4], "valid");
      assert.equal(lodge.context.snapshot().online_status, "valid");
    });

    await t.step("listModels of a named profile uses its URL and key; applying it checks it", async () => {
      fake.models = [{ id: "m-1", owned_by: "x" }, { id: "m-2" }, { name: "no id" }];
      await host.rpc.call("connectionProfiles.save", { name: "Fake", api: "custom", "api-url": fake.url });
      const before = fake.modelRequests.length;
      const models = await host.rpc.call("listModels", "fake");
      assert.deepEqual(models, [{ id: "m-1", owned_by: "x" }, { id: "m-2" }]);
      assert.match(String(fake.modelRequests.at(-1)!.authorization), /^Bearer sk-status-test/);
      assert.equal(lodge.connectionStatus.status, "valid", "listing a profile changes no status");
      await host.rpc.call("connectionProfiles.apply", "Fake");
      await until(() => fake.modelRequests.length === before + 2, "the probe after applying the profile");
      const missing = await host.rpc.call("listModels", "Nobody").catch((e) => e);
      assert.ok(missing instanceof RpcError && /not found/.test(missing.message), String(missing));
      assert.equal(fake.requests.length, 0, "no chat request was ever sent");
    });
  } finally {
    await host.close();
    await fake.close();
  }
});
