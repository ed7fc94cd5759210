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

import type { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { makeDataDir, takeLock } from "./core/data-folder.ts";
import { eventTypes } from "./core/event-types.ts";
import { Lodge } from "./core/lodge.ts";
import { seedPresets } from "./core/presets.ts";
import { seedDefaults } from "./core/seed.ts";
import { openSqliteStore, type Synchronous } from "./core/sqlite-store.ts";
import { installBundled } from "./plugins/install.ts";
import type { PluginLogEntry } from "./core/plugin-admin.ts";
import { watchPlugins } from "./plugins/dev-watch.ts";
import { type PluginSupervisor, startPlugins } from "./plugins/supervisor.ts";
import { createDispatcher } from "./rpc/dispatcher.ts";
import { methods } from "./rpc/methods/mod.ts";
import { createApp } from "./web/app.ts";
import { ImageProcessor } from "./web/images/processor.ts";
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
  /** SQLite commit mode; default `normal` (see `Synchronous`). */
  synchronous?: Synchronous;
  /**
   * Certificate authorities (PEM) that https page visits trust beside the system's: an embedder's private
   * CA, or a test's own. Only this option adds trust; no setting or plugin can.
   */
  visitCa?: readonly string[];
  /** Install the bundled plugins into a new data folder (default true). */
  bundledPlugins?: boolean;
  /**
   * Development mode (`--dev`): a plugin is reloaded when a file in its folder changes, and plugins'
   * console output is printed on the host's console, each line after its plugin's id.
   */
  dev?: boolean;
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

const HELP =
  `Usage: deno task start [--host 127.0.0.1] [--port 8000] [--data ./data] [--synchronous normal] [--dev]

  --host   address to listen on (default 127.0.0.1)
  --port   port to listen on, a decimal integer 0-65535 (default 8000; 0 picks a free one)
  --data   data folder (default ./data; created with a default character, chat and preset)
  --synchronous normal|full
           normal (default): every acknowledged write survives a crash or kill of the host;
           full: also a power loss or OS crash, at the cost of a disk sync per write
  --dev    development: reload a plugin when a file in its folder changes, and print plugins'
           console output here, each line after its plugin's id (also --watch-plugins)
  --help   show this text

The API token comes from the LODGE_TOKEN environment variable, or is generated once into <data>/token.`;

/**
 * Starts a host and resolves once it is listening. The port is bound first, so a port in use is
 * reported before anything is created in the data folder; until the host is ready the port answers 503.
 */
export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const hostname = options.hostname ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir ?? "./data");
  const port = options.port ?? 8000;
  let ready: ((request: Request) => Response | Promise<Response>) | null = null;
  const listening = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve(
      { hostname, port, onListen: (addr) => listening.resolve(addr as Deno.NetAddr) },
      (request) => ready ? ready(request) : new Response("starting", { status: 503 }),
    );
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(`port ${port} on ${hostname} is already in use; nothing was started or created`);
    }
    throw error;
  }
  const addr = await listening.promise;
  let lock: DatabaseSync | undefined;
  let lodge: Lodge | undefined;
  let plugins: PluginSupervisor | undefined;
  let pictures: ImageProcessor | undefined;
  try {
    await makeDataDir(dataDir);
    lock = takeLock(dataDir);
    const token = options.token ?? await loadToken(dataDir);
    const store = openSqliteStore(join(dataDir, "lodge.db"), { synchronous: options.synchronous });
    lodge = new Lodge(store, { dataDir, visitCa: options.visitCa });
    seedPresets(lodge.store);
    if (seedDefaults(lodge)) {
      await lodge.context.selectCharacterById(0);
      // a new data folder starts with the plugins Lodge ships (the search tools)
      if (options.bundledPlugins !== false) await installBundled(dataDir);
    } else await lodge.context.openMostRecent();
    // Plugins pipeline calls; 128 in flight lets the flood limits, not the dispatcher, judge a burst.
    const dispatcher = createDispatcher(methods, lodge, { maxInflight: 128 });
    const hosts = allowedHosts(hostname, addr.port);
    const images = pictures = new ImageProcessor();
    const app = createApp({
      lodge,
      dispatcher,
      token,
      images,
      maxBodyBytes: options.maxBodyBytes,
      allowedHosts: () => hosts,
    });
    // before the plugins start: an extension may fetch("/api/...") while it loads
    lodge.api = app.pluginRoutes;
    const started = plugins = await startPlugins({
      lodge,
      dispatcher,
      methods,
      dataDir,
      onLog: options.dev ? printPluginLine : undefined,
    });
    lodge.plugins = started;
    ready = app.fetch;
    // Replayed by the bus to listeners that subscribe later (plugins enabled afterwards, sockets).
    await lodge.events.emit(eventTypes.APP_READY);
    lodge.connectionStatus.checkInBackground();
    const watch = options.dev ? watchPlugins({ dataDir, reload: (id) => started.reload(id) }) : null;
    const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
    const opened = lodge;
    const held = lock;
    return {
      lodge: opened,
      url: `http://${shown}:${addr.port}`,
      port: addr.port,
      token,
      async close() {
        watch?.close();
        const serving = server.shutdown();
        // Plugins first: a request waiting on a plugin's listener is released when the plugin stops.
        await started.stop();
        await serving;
        images.close();
        opened.close();
        held.close();
      },
    };
  } catch (error) {
    await server.shutdown();
    await plugins?.stop();
    pictures?.close();
    lodge?.close();
    lock?.close();
    throw error;
  }
}

/** `--dev`: one plugin log line on the host's console, after the plugin's id. */
function printPluginLine(id: string, entry: PluginLogEntry): void {
  const line = entry.text.split("\n").map((part) => `[${id}] ${part}`).join("\n");
  if (entry.level === "warn" || entry.level === "error") console.error(line);
  else console.log(line);
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

/** A port as the command line takes it: a decimal integer from 0 to 65535, nothing else. */
export function parsePort(text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port <= 65535)) {
    throw new Error(`invalid --port ${JSON.stringify(text)}: expected a decimal integer from 0 to 65535`);
  }
  return port;
}

/** Longest a SIGINT/SIGTERM shutdown may take before the process exits regardless, ms. */
const SHUTDOWN_MS = 4000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8000" },
      data: { type: "string", default: "./data" },
      synchronous: { type: "string", default: "normal" },
      dev: { type: "boolean", default: false },
      "watch-plugins": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const synchronous = values.synchronous;
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new Error(`invalid --synchronous ${JSON.stringify(synchronous)}: expected normal or full`);
  }
  const host = await startHost({
    hostname: values.host,
    port: parsePort(values.port),
    dataDir: values.data,
    synchronous,
    dev: values.dev || values["watch-plugins"],
  });
  console.log(`Lodge listening on ${host.url}/?token=${host.token}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Whatever plugins or open requests do, the process ends within the shutdown deadline.
    const deadline = setTimeout(() => {
      console.error(`lodge: shutdown took over ${SHUTDOWN_MS} ms, exiting anyway`);
      Deno.exit(0);
    }, SHUTDOWN_MS);
    await host.close();
    clearTimeout(deadline);
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
