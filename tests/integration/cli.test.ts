/**
 * The command line (`main.ts`) as a child process: `--help`, first-run seeding, the token file, the
 * data-folder lock, and a clean stop on SIGTERM.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, spawnHost, startTestHost } from "../support/host.ts";

Deno.test("CLI", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-cli-" });
  try {
    await t.step("--help prints usage and exits 0 without creating anything", async () => {
      const helpDir = join(dataDir, "not-created");
      const res = await runCli(["--help", "--data", helpDir]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Usage: /);
      for (const flag of ["--host", "--port", "--data", "--help", "LODGE_TOKEN"]) {
        assert.ok(res.stdout.includes(flag));
      }
      await assert.rejects(Deno.stat(helpDir), Deno.errors.NotFound);
    });

    await t.step("bad flags exit non-zero with a message", async () => {
      const port = await runCli(["--port", "99999", "--data", join(dataDir, "x")]);
      assert.notEqual(port.code, 0);
      assert.match(port.stderr, /invalid --port/);
      const unknown = await runCli(["--bogus"]);
      assert.notEqual(unknown.code, 0);
    });

    await t.step(
      "first run seeds the data folder and writes a 0600 token; SIGTERM stops cleanly",
      async () => {
        const host = await spawnHost(dataDir);
        let stopped = false;
        try {
          assert.match(
            host.startLine,
            /^Lodge listening on http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/,
          );
          const tokenFile = join(dataDir, "token");
          assert.equal((await Deno.readTextFile(tokenFile)).trim(), host.token);
          assert.equal((await Deno.stat(tokenFile)).mode! & 0o777, 0o600);
          await Deno.stat(join(dataDir, "lodge.db"));

          const characters = (await host.post("/api/characters/all", {})).body;
          assert.equal(characters.length, 1);
          const guide = characters[0];
          assert.equal(guide.name, "Lodge Guide");
          assert.ok(guide.first_mes.length > 0);
          const chats = (await host.post("/api/chats/recent", {})).body;
          assert.equal(chats.length, 1);
          assert.equal(chats[0].avatar, guide.avatar);
          assert.equal(chats[0].message_count, 1);
          const chat =
            (await host.post("/api/chats/get", { avatar_url: guide.avatar, file_name: chats[0].file_name }))
              .body;
          assert.equal(chat[1].mes, guide.first_mes);
          assert.equal(chat[1].is_user, false);
          assert.equal(chat[1].name, guide.name);
          await host.post("/api/chats/append", {
            avatar_url: guide.avatar,
            file_name: chats[0].file_name,
            messages: [{ name: "User", is_user: true, mes: "kept across restarts" }],
          });

          // A second host on the same data folder refuses while the first one runs.
          const second = await runCli(["--port", "0", "--data", dataDir]);
          assert.equal(second.code, 1);
          assert.match(second.stderr, /another Lodge host is already using the data folder/);
          await assert.rejects(startTestHost({ dataDir }), /another Lodge host/);
          // The refused starts did not disturb the running host.
          assert.equal((await host.post("/api/chats/recent", {})).status, 200);

          const status = await host.kill("SIGTERM");
          stopped = true;
          assert.equal(status.code, 0, host.stderr());
          assert.equal(status.signal, null);
        } finally {
          if (!stopped) await host.kill("SIGKILL");
        }
      },
    );

    await t.step("a restart reuses the token and the data, and does not seed again", async () => {
      const host = await spawnHost(dataDir);
      try {
        assert.equal(host.token, (await Deno.readTextFile(join(dataDir, "token"))).trim());
        assert.equal((await host.post("/api/characters/all", {})).body.length, 1);
        const chats = (await host.post("/api/chats/recent", {})).body;
        assert.equal(chats.length, 1);
        assert.equal(chats[0].message_count, 2);
      } finally {
        assert.equal((await host.kill("SIGINT")).code, 0);
      }
      // The lock went with the process: an in-process host can take the folder now.
      const inProcess = await startTestHost({ dataDir });
      await inProcess.close();
    });

    await t.step("LODGE_TOKEN overrides the token file", async () => {
      const host = await spawnHost(dataDir, { env: { LODGE_TOKEN: "env-token-123" } });
      try {
        assert.equal(host.token, "env-token-123");
        assert.equal((await host.post("/api/chats/recent", {})).status, 200);
      } finally {
        await host.kill();
      }
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
