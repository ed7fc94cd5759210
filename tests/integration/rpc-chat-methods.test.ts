/**
 * Every chat-surface method over both transports against a real host: happy path, invalid params
 * (-32602 with the issue path) and the domain errors, plus the events the message API emits.
 */

import assert from "node:assert/strict";
import { startHost } from "../../main.ts";
import { createHttpClient, createSocketClient, type RpcCaller } from "../../rpc/client.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import type { methods } from "../../rpc/methods/mod.ts";

type Table = typeof methods;

async function withHost(
  fn: (
    rpc: { http: RpcCaller<Table>; ws: RpcCaller<Table> },
    host: Awaited<ReturnType<typeof startHost>>,
  ) => Promise<void>,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-rpc-chat-" });
  const host = await startHost({ port: 0, dataDir, token: "t0ken" });
  const http = createHttpClient<Table>(`${host.url}/rpc`, { token: host.token });
  const ws = await createSocketClient<Table>(`${host.url}/rpc`, { token: host.token });
  try {
    await fn({ http, ws }, host);
  } finally {
    await ws.close();
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function rejectsWith(p: Promise<unknown>, code: number): Promise<RpcError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof RpcError, `expected RpcError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected error ${code}`);
}

for (const transport of ["http", "ws"] as const) {
  Deno.test(`chat methods over ${transport}`, async (t) => {
    await withHost(async (clients) => {
      const rpc = clients[transport];

      await t.step("getContext and getCurrentChatId", async () => {
        const ctx = await rpc.call("getContext");
        assert.equal((ctx.chat as unknown[]).length, 1, "the greeting");
        assert.equal(ctx.characterId, 0);
        assert.equal(ctx.name2, "Lodge Guide");
        assert.equal(await rpc.call("getCurrentChatId"), ctx.chatId);
        assert.equal(
          (await rpc.call("presets.getSelected", "openai"))?.name,
          "Default",
          "first run seeds a preset",
        );
        await rejectsWith(rpc.call("getContext", ...([1] as unknown as [])), ErrorCode.INVALID_PARAMS);
      });

      await t.step("addMessages single and batch", async () => {
        assert.equal(await rpc.call("addMessages", { is_user: true, mes: "hello" }), 1);
        assert.deepEqual(
          await rpc.call("addMessages", [{ is_user: false, mes: "a" }, { is_user: true, mes: "b" }]),
          [2, 3],
        );
        assert.deepEqual(await rpc.call("addMessages", []), []);
        const err = await rejectsWith(
          rpc.call("addMessages", ...(["nope"] as unknown as [never])),
          ErrorCode.INVALID_PARAMS,
        );
        assert.ok(JSON.stringify(err.data).includes("0"), "issue path names param 0");
        assert.equal(await rpc.call("getMessageCount"), 4);
      });

      await t.step("getMessage and getMessageCount", async () => {
        const m = await rpc.call("getMessage", 1);
        assert.equal(m?.mes, "hello");
        assert.equal(m?.name, "User");
        assert.equal(await rpc.call("getMessage", 99), null);
        await rejectsWith(
          rpc.call("getMessage", ...(["x"] as unknown as [number])),
          ErrorCode.INVALID_PARAMS,
        );
      });

      await t.step("updateMessages merges and skips invalid indexes", async () => {
        await rpc.call("updateMessages", [{ index: 1, patch: { mes: "edited" } }, {
          index: 50,
          patch: { mes: "x" },
        }]);
        assert.equal((await rpc.call("getMessage", 1))?.mes, "edited");
        assert.equal((await rpc.call("getMessage", 1))?.is_user, true, "other fields kept");
        await rejectsWith(
          rpc.call("updateMessages", ...([{ index: "1" }] as unknown as [never])),
          ErrorCode.INVALID_PARAMS,
        );
      });

      await t.step("deleteMessages single, batch and swipe", async () => {
        // swipes[swipe_id] === mes, as every stored message now keeps it
        await rpc.call("addMessages", { mes: "s2", swipes: ["s0", "s1", "s2"], swipe_id: 2 });
        const swiped = await rpc.call("deleteMessages", 4, { swipe: 1 }) as Record<string, unknown>;
        assert.deepEqual(swiped.swipes, ["s0", "s2"]);
        assert.equal(swiped.swipe_id, 1);
        assert.equal(swiped.mes, "s2");
        const deleted = await rpc.call("deleteMessages", [3, 2]) as Record<string, unknown>[];
        assert.deepEqual(deleted.map((m) => m.mes), ["a", "b"], "ascending");
        assert.equal(await rpc.call("getMessageCount"), 3);
        const one = await rpc.call("deleteMessages", 2) as Record<string, unknown>;
        assert.equal(one.mes, "s2");
        await rejectsWith(rpc.call("deleteMessages", 40), ErrorCode.INVALID_PARAMS);
        await rejectsWith(
          rpc.call("deleteMessages", ...(["0"] as unknown as [number])),
          ErrorCode.INVALID_PARAMS,
        );
        assert.equal(await rpc.call("getMessageCount"), 2);
      });

      await t.step("saveChatMetadata", async () => {
        assert.equal(await rpc.call("saveChatMetadata", { note: "kept" }), true);
        const ctx = await rpc.call("getContext");
        assert.equal((ctx.chat_metadata as Record<string, unknown>).note, "kept");
        assert.equal(typeof (ctx.chat_metadata as Record<string, unknown>).integrity, "string");
        await rejectsWith(
          rpc.call("saveChatMetadata", ...([[1]] as unknown as [never])),
          ErrorCode.INVALID_PARAMS,
        );
      });

      await t.step("chat state: get, batch, patch with guards, delete", async () => {
        assert.equal(await rpc.call("getChatState", "My-Plugin"), null);
        const r = await rpc.call("patchChatState", "my-plugin", [{ op: "add", path: "/count", value: 1 }]);
        assert.deepEqual(r, { ok: true, applied: 1, created: true });
        assert.deepEqual(await rpc.call("getChatState", "MY-PLUGIN"), { count: 1 }, "namespace normalised");
        await rejectsWith(
          rpc.call("patchChatState", "my-plugin", [{ op: "test", path: "/count", value: 0 }, {
            op: "replace",
            path: "/count",
            value: 5,
          }]),
          ErrorCode.CONFLICT,
        );
        assert.deepEqual(
          await rpc.call("getChatState", "my-plugin"),
          { count: 1 },
          "failed guard changed nothing",
        );
        assert.deepEqual(await rpc.call("getChatStateBatch", ["my-plugin", "other"]), {
          "my-plugin": { count: 1 },
          other: null,
        });
        const target = await rpc.call("getContext");
        const explicit = { avatar_url: "Lodge Guide.png", file_name: String(target.chatId) };
        assert.deepEqual(await rpc.call("getChatState", "my-plugin", { target: explicit }), { count: 1 });
        await rejectsWith(
          rpc.call("getChatState", "my-plugin", { target: { avatar_url: "Nobody.png", file_name: "x" } }),
          ErrorCode.NOT_FOUND,
        );
        assert.deepEqual(await rpc.call("deleteChatState", "my-plugin"), { ok: true, deleted: true });
        assert.equal(await rpc.call("getChatState", "my-plugin"), null);
        await rejectsWith(
          rpc.call("patchChatState", "ns", [{ op: "add", path: "/__proto__/x", value: 1 }]),
          ErrorCode.INVALID_PARAMS,
        );
        await rejectsWith(
          rpc.call("patchChatState", ...(["ns", "ops"] as unknown as [string, never])),
          ErrorCode.INVALID_PARAMS,
        );
      });

      await t.step("character state: set, get, null deletes", async () => {
        assert.equal(await rpc.call("getCharacterState", "cfg"), null);
        assert.equal(await rpc.call("setCharacterState", "cfg", { on: true }), null);
        assert.deepEqual(await rpc.call("getCharacterState", "cfg"), { on: true });
        await rpc.call("setCharacterState", "cfg", null);
        assert.equal(await rpc.call("getCharacterState", "cfg"), null);
        await rejectsWith(
          rpc.call("setCharacterState", ...(["cfg", 5] as unknown as [string, null])),
          ErrorCode.INVALID_PARAMS,
        );
      });

      await t.step("selecting chats", async () => {
        const first = await rpc.call("getCurrentChatId");
        assert.equal(await rpc.call("selectCharacterById", 0), first);
        assert.equal(await rpc.call("openCharacterChat", String(first)), first);
        await rejectsWith(rpc.call("openCharacterChat", "missing chat"), ErrorCode.NOT_FOUND);
        await rejectsWith(rpc.call("selectCharacterById", 7), ErrorCode.NOT_FOUND);
        await rejectsWith(rpc.call("openGroupChat", "no-group"), ErrorCode.NOT_FOUND);
        await rejectsWith(rpc.call("selectCharacterById", ...([-1] as [number])), ErrorCode.INVALID_PARAMS);
      });

      await t.step("deprecated forms", async () => {
        const before = await rpc.call("getMessageCount");
        assert.equal(await rpc.call("addOneMessage", { mes: "old style" }), before);
        const appended = await rpc.call("appendChatMessages", [{ mes: "raw" }]);
        assert.equal(appended.appended, 1);
        const patched = await rpc.call("patchChatMessages", [{
          op: "replace",
          path: `/${before + 1}/mes`,
          value: "raw2",
        }]);
        assert.equal(patched.total_messages, before + 2);
        assert.equal((await rpc.call("deleteLastMessage"))?.mes, "raw2");
        assert.equal((await rpc.call("deleteMessage", before))?.mes, "old style");
        assert.equal(await rpc.call("getMessageCount"), before);
        await rejectsWith(
          rpc.call("patchChatMessages", [{ op: "move", from: "/0", path: "/1" }]),
          ErrorCode.INVALID_PARAMS,
        );
      });
    });
  });
}

Deno.test("message API emits events in order to socket listeners", async () => {
  await withHost(async ({ http }, host) => {
    const ws = await createSocketClient<Table>(`${host.url}/rpc`, { token: host.token });
    try {
      const seen: string[] = [];
      for (
        const event of [
          "message_sent",
          "message_received",
          "user_message_rendered",
          "message_edited",
          "message_updated",
          "message_deleted",
        ]
      ) {
        await ws.on(event, (...args: unknown[]) => {
          seen.push(`${event}:${JSON.stringify(args)}`);
        }, { awaited: true });
      }
      await http.call("addMessages", [{ is_user: true, mes: "q" }, { mes: "a" }]);
      await http.call("updateMessages", { index: 1, patch: { mes: "q2" } });
      await http.call("deleteMessages", [1, 2]);
      await http.call("addMessages", { mes: "quiet" }, { silent: true });
      assert.deepEqual(seen, [
        "message_sent:[1]",
        "user_message_rendered:[1]",
        "message_received:[2]",
        "message_edited:[1]",
        "message_updated:[1]",
        `message_deleted:[1,${
          JSON.stringify({
            kind: "delete",
            deletedPlayableSeqFrom: 2,
            deletedPlayableSeqTo: 3,
            deletedAssistantSeqFrom: 2,
            deletedAssistantSeqTo: 2,
          })
        }]`,
      ]);
    } finally {
      await ws.close();
    }
  });
});

Deno.test("APP_READY fires once the host is up and is replayed to late subscribers", async () => {
  await withHost(async (_clients, host) => {
    const ws = await createSocketClient<Table>(`${host.url}/rpc`, { token: host.token });
    try {
      const ready = Promise.withResolvers<void>();
      await ws.on("app_ready", () => ready.resolve());
      await ready.promise;
    } finally {
      await ws.close();
    }
  });
});
