/**
 * Durability: a child host process takes a stream of acknowledged writes (appends and patches, several
 * in flight at once) and is killed with SIGKILL mid-stream. After a restart on the same data folder every
 * acknowledged write is there, the message rows are consistent with the chat header, and SQLite's
 * `PRAGMA integrity_check` says `ok`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type ChildHost, spawnHost } from "../support/host.ts";

const APPENDERS = 3;
const PATCHERS = 3;
/** Acknowledged writes per round after which the host is killed (the stream keeps going until then). */
const KILL_AFTER = 300;
/** Kill-and-restart rounds on the same data folder. */
const ROUNDS = 3;

Deno.test("acknowledged writes survive SIGKILL mid-stream", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-durability-" });
  let host: ChildHost | null = null;
  try {
    host = await spawnHost(dataDir);
    const T = { avatar_url: "Dura.png", file_name: "stream" };
    // One slot message per patcher: patchers edit their own slot, appenders add after them.
    const slots = Array.from({ length: PATCHERS }, (_, k) => ({ name: "slot", mes: `slot ${k} v-1`, v: -1 }));
    const saved = await host.post("/api/chats/save", { ...T, chat: [{ chat_metadata: {} }, ...slots] });
    assert.equal(saved.status, 200);

    const ackedAppends = new Set<string>();
    const sentAppends = new Set<string>();
    const ackedVersion = new Array<number>(PATCHERS).fill(-1);
    const sentVersion = new Array<number>(PATCHERS).fill(-1);

    /** Reads the chat back and checks every acknowledged write is there and nothing else is. */
    const verify = async (h: ChildHost) => {
      const chat = (await h.post("/api/chats/get", T)).body;
      const messages = chat.slice(1);
      for (const [k, acked] of ackedVersion.entries()) {
        // The kill may land after a commit but before its answer: the stored version is then newer.
        const v = messages[k].v;
        assert.ok(acked <= v && v <= sentVersion[k], `slot ${k}: stored v${v}, acked v${acked}`);
        assert.equal(messages[k].mes, `slot ${k} v${v}`);
      }
      const stored: string[] = messages.slice(PATCHERS).map((m: { extra: { id: string } }) => m.extra.id);
      assert.equal(new Set(stored).size, stored.length, "an append was stored twice");
      for (const id of ackedAppends) assert.ok(stored.includes(id), `acknowledged append ${id} is missing`);
      for (const id of stored) assert.ok(sentAppends.has(id), `append ${id} was never sent`);
      // Each writer's messages of a round are a gap-free prefix of what it sent, in order.
      const byWriter = Map.groupBy(stored, (id) => id.replace(/-\d+$/, ""));
      for (const [writer, ids] of byWriter) {
        assert.deepEqual(ids, ids.map((_, i) => `${writer}-${i}`));
      }
      return messages.length;
    };

    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        host = await spawnHost(dataDir);
        await verify(host);
      }
      const h: ChildHost = host!;
      let acked = 0, inFlight = 0, inFlightAtKill = 0;
      let dead = false;
      const killed = Promise.withResolvers<void>();
      // A write that fails because the process died is unacknowledged; any other failure is a bug.
      const send = async (path: string, body: unknown): Promise<boolean> => {
        inFlight++;
        try {
          const res = await h.post(path, body);
          assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
          return true;
        } catch (error) {
          if (dead) return false;
          throw error;
        } finally {
          inFlight--;
        }
      };
      const ack = () => {
        if (++acked === KILL_AFTER) killed.resolve();
      };
      const appender = async (w: number) => {
        for (let i = 0; !dead; i++) {
          const id = `r${round}w${w}-${i}`;
          sentAppends.add(id);
          const ok = await send("/api/chats/append", {
            ...T,
            messages: [{ name: "A", is_user: w % 2 === 0, mes: id, extra: { id } }],
          });
          if (!ok) return;
          ackedAppends.add(id);
          ack();
        }
      };
      const patcher = async (k: number) => {
        // Versions only grow, across rounds too, so "stored >= acked" is meaningful.
        for (let v = sentVersion[k] + 1; !dead; v++) {
          sentVersion[k] = v;
          const ok = await send("/api/chats/patch", {
            ...T,
            operations: [
              { op: "replace", path: `/${k}/v`, value: v },
              { op: "replace", path: `/${k}/mes`, value: `slot ${k} v${v}` },
            ],
          });
          if (!ok) return;
          ackedVersion[k] = v;
          ack();
        }
      };
      const writers = [
        ...Array.from({ length: APPENDERS }, (_, w) => appender(w)),
        ...Array.from({ length: PATCHERS }, (_, k) => patcher(k)),
      ];
      await killed.promise;
      dead = true;
      inFlightAtKill = inFlight;
      const status = await h.kill("SIGKILL");
      assert.equal(status.signal, "SIGKILL");
      await Promise.all(writers);
      host = null;
      assert.ok(inFlightAtKill > 0, "the kill must land while writes are in flight");
    }

    host = await spawnHost(dataDir);
    const count = await verify(host);
    // The restarted host takes writes again.
    const after = await host.post("/api/chats/append", { ...T, messages: [{ mes: "after restart" }] });
    assert.equal(after.status, 200);
    assert.equal((await host.kill("SIGTERM")).code, 0);
    host = null;

    const db = new DatabaseSync(join(dataDir, "lodge.db"), { readOnly: true });
    try {
      assert.equal(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
      assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
      const row = db.prepare(
        "SELECT c.message_count AS n, count(m.idx) AS rows, min(m.idx) AS lo, max(m.idx) AS hi " +
          "FROM chats c JOIN messages m ON m.chat_id = c.id WHERE c.owner = ? AND c.file = ? GROUP BY c.id",
      ).get(T.avatar_url, T.file_name)!;
      assert.equal(Number(row.n), count + 1);
      assert.equal(Number(row.rows), Number(row.n));
      assert.deepEqual([Number(row.lo), Number(row.hi)], [0, Number(row.n) - 1]);
    } finally {
      db.close();
    }
  } finally {
    if (host) await host.kill("SIGKILL");
    await Deno.remove(dataDir, { recursive: true });
  }
});
