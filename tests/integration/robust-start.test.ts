/**
 * The host starts whatever a row holds: rows planted directly in SQLite that Lodge cannot read (text that
 * is not JSON, a message nested 2,750 deep, an overflowing number) are moved into the quarantine table,
 * reported in the log, in RPC `health` and in the `/healthz` count, and everything else loads.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { request, startTestHost } from "../support/host.ts";
import { captureConsole } from "../support/llm-host.ts";

Deno.test("bad rows planted in SQLite are moved aside and the rest loads", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-robust-" });
  try {
    // First run: seeds the default character, its greeting chat and a few more messages.
    let host = await startTestHost({ dataDir });
    const lodge = host.host.lodge;
    await lodge.context.addMessages([{ is_user: true, mes: "one" }, { mes: "two" }, {
      is_user: true,
      mes: "three",
    }]);
    const record = lodge.context.record!;
    const chatId = record.id;
    await host.close();

    const db = new DatabaseSync(`${dataDir}/lodge.db`);
    const deep = "[".repeat(2750) + "]".repeat(2750);
    db.prepare("UPDATE messages SET body = ? WHERE chat_id = ? AND idx = 1").run(`{"mes":${deep}}`, chatId);
    db.prepare("UPDATE messages SET body = ? WHERE chat_id = ? AND idx = 3").run("{not json", chatId);
    db.prepare("INSERT INTO docs (kind, key, body, updated_at) VALUES ('world', 'Broken', ?, 0)").run(
      '{"entries":{"0":{"order":1e999999}}}',
    );
    db.prepare("INSERT INTO docs (kind, key, body, updated_at) VALUES ('world', 'Fine', ?, 0)").run(
      '{"entries":{}}',
    );
    db.prepare("INSERT INTO chat_state (chat_id, namespace, data) VALUES (?, 'bad', '{')").run(chatId);
    db.prepare("UPDATE chats SET metadata = ? WHERE id = ?").run(`{"x":${deep}}`, chatId);
    db.close();

    const { result: restarted, output } = await captureConsole(() => startTestHost({ dataDir }));
    host = restarted;
    try {
      assert.match(output, /moved messages \d+\/1 aside \(nested deeper than 64 levels/);
      assert.match(output, /moved messages \d+\/3 aside \(not valid JSON\)/);
      const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
      const health = await rpc.call("health");
      assert.deepEqual(
        health.quarantined.map((q) => [q.source, q.reason.replace(/ at .*/, "")]),
        [
          ["chats.metadata", "nested deeper than 64 levels"],
          ["messages", "not valid JSON"],
          ["messages", "nested deeper than 64 levels"],
          ["chat_state", "not valid JSON"],
          ["docs", "number is not finite"],
        ],
      );
      const healthz = await request(host.url, "/healthz");
      assert.deepEqual(healthz.body, { ok: true, quarantined: 5 });

      // The rest loads: the chat keeps its good messages in order, the good book is there.
      const context = await rpc.call("getContext");
      assert.deepEqual((context.chat as { mes: string }[]).map((m) => m.mes), [
        String(host.host.lodge.characters.all()[0].first_mes),
        "two",
      ]);
      assert.deepEqual(await rpc.call("getWorldInfoNames"), ["Fine"]);
      assert.equal(await rpc.call("getChatState", "bad"), null);
      // ...and keeps working: new writes land after the survivors.
      await rpc.call("addMessages", { is_user: true, mes: "after" });
      assert.equal(await rpc.call("getMessageCount"), 3);
    } finally {
      await host.close();
    }
    // A third start finds nothing new to move.
    const { result: third, output: quiet } = await captureConsole(() => startTestHost({ dataDir }));
    await third.close();
    assert.doesNotMatch(quiet, /moved .* aside/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
