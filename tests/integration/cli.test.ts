/**
 * The command line (`main.ts`) as a child process: `--help`, first-run seeding, the token file, the
 * data-folder lock, the durability setting, and a clean stop on SIGTERM.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { healthDuring } from "../support/browser.ts";
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

    await t.step(
      "--synchronous full is what the store runs with; the default survives a process crash",
      async () => {
        for (
          const [args, durability] of [[[], "process-crash"], [
            ["--synchronous", "full"],
            "power-loss",
          ]] as const
        ) {
          const host = await spawnHost(dataDir, { args: [...args] });
          try {
            const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
            assert.equal((await rpc.call("health")).durability, durability, args.join(" "));
          } finally {
            await host.kill();
          }
        }
      },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("CLI refusals name the cause and create nothing", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "lodge-cli-refuse-" });
  try {
    await t.step("--port takes a decimal integer from 0 to 65535 only", async () => {
      const dataDir = join(root, "never");
      for (const port of ["", "0x6CB9", "1e4", "-1", "65536", "99999", "80.0", " 80", "+80", "٨٠"]) {
        const res = await runCli([`--port=${port}`, "--data", dataDir]);
        assert.equal(res.code, 1, `--port=${JSON.stringify(port)} was accepted`);
        assert.match(res.stderr, /invalid --port .*decimal integer from 0 to 65535/);
      }
      const sync = await runCli(["--synchronous", "sometimes", "--data", dataDir]);
      assert.equal(sync.code, 1);
      assert.match(sync.stderr, /invalid --synchronous "sometimes": expected normal or full/);
      await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
    });

    await t.step("a port in use is named, before anything is created in the data folder", async () => {
      const running = await startTestHost();
      try {
        const dataDir = join(root, "second");
        const { result, p99Ms } = await healthDuring(
          running.url,
          () => runCli(["--port", String(running.host.port), "--data", dataDir]),
        );
        assert.equal(result.code, 1);
        assert.match(
          result.stderr,
          new RegExp(`port ${running.host.port} on 127\\.0\\.0\\.1 is already in use`),
        );
        await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
        // An existing data folder gets nothing new either.
        const existing = join(root, "existing");
        await Deno.mkdir(existing);
        const again = await runCli(["--port", String(running.host.port), "--data", existing]);
        assert.equal(again.code, 1);
        assert.deepEqual([...Deno.readDirSync(existing)], []);
        assert.ok(p99Ms < 100, `/healthz p99 ${p99Ms.toFixed(1)} ms`);
      } finally {
        await running.close();
      }
    });

    await t.step("a data folder that cannot be written is named as such", async () => {
      // root may write anywhere a mode allows, but not where the kernel refuses (sysfs)
      const isRoot = Deno.uid() === 0;
      const readOnly = isRoot ? "/sys/kernel" : join(root, "read-only");
      if (!isRoot) await Deno.mkdir(readOnly, { mode: 0o500 });
      const res = await runCli(["--port", "0", "--data", readOnly]);
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        new RegExp(`the data folder ${readOnly} cannot be written: permission denied`),
      );
      assert.doesNotMatch(res.stderr, /lodge\.lock|another Lodge host/);
      const below = join(readOnly, "data");
      const nested = await runCli(["--port", "0", "--data", below]);
      assert.equal(nested.code, 1);
      assert.match(nested.stderr, new RegExp(`cannot create the data folder ${below}: `));
      if (!isRoot) await Deno.chmod(readOnly, 0o700);
    });

    await t.step("a data folder that is a file is named as such, and left as it was", async () => {
      const file = join(root, "a-file");
      await Deno.writeTextFile(file, "mine");
      const res = await runCli(["--port", "0", "--data", file]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`the data folder ${file} is a file, not a folder`));
      assert.equal(await Deno.readTextFile(file), "mine");
      const below = join(file, "data");
      const nested = await runCli(["--port", "0", "--data", below]);
      assert.equal(nested.code, 1);
      assert.match(nested.stderr, new RegExp(`cannot create the data folder ${below}: not a directory`));
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
