/**
 * Lodge's command line and host assembly: opens the data folder (creating it with default content on
 * first run), takes the data-folder lock, wires core, RPC and the web app, and stops cleanly on
 * SIGINT/SIGTERM.
 *
 * ```sh
 * deno task start --host 127.0.0.1 --port 8000 --data ./data
 * ```
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { eventTypes } from "./core/event-types.ts";
import { Lodge } from "./core/lodge.ts";
import { seedPresets } from "./core/presets.ts";
import { seedDefaults } from "./core/seed.ts";
import { openSqliteStore } from "./core/sqlite-store.ts";
import { type PluginSupervisor, startPlugins } from "./plugins/supervisor.ts";
import { createDispatcher } from "./rpc/dispatcher.ts";
import { methods } from "./rpc/methods/mod.ts";
import { createApp } from "./web/app.ts";
import { allowedHosts } from "./web/auth.ts";

/** Options of {@link startHost}. */
export interface HostOptions {
  hostname?: string;
  /** 0 picks a free port. */
  port?: number;
  dataDir?: string;
  /** Overrides `LODGE_TOKEN` and the token file. */
  token?: string;
  maxBodyBytes?: number;
}

/** A running host. */
export interface RunningHost {
  lodge: Lodge;
  url: string;
  port: number;
  token: string;
  /** Stops serving, closes the database and releases the lock. */
  close(): Promise<void>;
}

const HELP = `Usage: deno task start [--host 127.0.0.1] [--port 8000] [--data ./data]

  --host   address to listen on (default 127.0.0.1)
  --port   port to listen on (default 8000; 0 picks a free one)
  --data   data folder (default ./data; created with a default character, chat and preset)
  --help   show this text

The API token comes from the LODGE_TOKEN environment variable, or is generated once into <data>/token.`;

/** Starts a host and resolves once it is listening. */
export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const hostname = options.hostname ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir ?? "./data");
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = takeLock(dataDir);
  let lodge: Lodge | undefined;
  let plugins: PluginSupervisor | undefined;
  try {
    const token = options.token ?? await loadToken(dataDir);
    lodge = new Lodge(openSqliteStore(join(dataDir, "lodge.db")), { dataDir });
    seedPresets(lodge.store);
    if (seedDefaults(lodge)) await lodge.context.selectCharacterById(0);
    else await lodge.context.openMostRecent();
    // Plugins pipeline calls; 128 in flight lets the flood limits, not the dispatcher, judge a burst.
    const dispatcher = createDispatcher(methods, lodge, { maxInflight: 128 });
    const started = plugins = await startPlugins({ lodge, dispatcher, methods, dataDir });
    lodge.plugins = started;
    let hosts: Set<string> | null = null;
    const app = createApp({
      lodge,
      dispatcher,
      token,
      maxBodyBytes: options.maxBodyBytes,
      allowedHosts: () => hosts,
    });
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve({
      hostname,
      port: options.port ?? 8000,
      onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    }, app.fetch);
    const addr = await listening.promise;
    hosts = allowedHosts(hostname, addr.port);
    // Replayed by the bus to listeners that subscribe later (plugins enabled afterwards, sockets).
    await lodge.events.emit(eventTypes.APP_READY);
    const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
    const opened = lodge;
    return {
      lodge: opened,
      url: `http://${shown}:${addr.port}`,
      port: addr.port,
      token,
      async close() {
        await server.shutdown();
        await started.stop();
        opened.close();
        lock.close();
      },
    };
  } catch (error) {
    await plugins?.stop();
    lodge?.close();
    lock.close();
    throw error;
  }
}

/**
 * Holds an exclusive SQLite lock on `<data>/lodge.lock` for the life of the process; the OS drops it if
 * the process dies, so a crash never leaves a stale lock.
 */
function takeLock(dataDir: string): DatabaseSync {
  const db = new DatabaseSync(join(dataDir, "lodge.lock"));
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch {
    db.close();
    throw new Error(`another Lodge host is already using the data folder ${dataDir}`);
  }
  return db;
}

/** `LODGE_TOKEN`, else `<data>/token`, generated (mode 0600) on first run. */
async function loadToken(dataDir: string): Promise<string> {
  const fromEnv = Deno.env.get("LODGE_TOKEN");
  if (fromEnv) return fromEnv;
  const path = join(dataDir, "token");
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600, createNew: true });
  return token;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8000" },
      data: { type: "string", default: "./data" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const host = await startHost({ hostname: values.host, port, dataDir: values.data });
  console.log(`Lodge listening on ${host.url}/?token=${host.token}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await host.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) {
  main().catch((error) => {
    console.error(`lodge: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  });
}
