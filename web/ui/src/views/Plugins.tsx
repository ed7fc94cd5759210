/**
 * Plugins: every plugin with its state and why, its crash count and last crash, what it may reach
 * written plainly, accepting what a pending plugin asks for, enable, disable, reload, its log, and a
 * settings form generated from its manifest's `settingsSchema` (stored in `extension_settings[<id>]`,
 * the one store the plugin reads). The list is read again on the host's `PLUGIN_STATE_CHANGED` and on
 * every (re)connection, so a crash shows without a reload.
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { plainGrants, type PluginInfo, type PluginLogEntry } from "../../../../core/plugin-admin.ts";
import { call } from "../api.ts";
import { pluginsChanged } from "../plugin-ui.ts";
import { attempt, toast } from "../state.ts";
import { type Schema, SchemaForm } from "./SchemaForm.tsx";

/** What each state means, in a few words. */
const STATE_TEXT: Record<PluginInfo["state"], string> = {
  running: "Running",
  starting: "Starting",
  stopped: "Stopped",
  pending: "Waiting for your approval",
  disabled: "Disabled",
  crashed: "Crashed",
  quarantined: "Quarantined after repeated crashes",
  refused: "Refused",
};

/** What a plugin asks for beyond what was accepted (everything, when nothing was). */
export function askedGrants(p: PluginInfo): PluginInfo["grants"] {
  const had = p.accepted;
  if (!had) return p.grants;
  return {
    net: p.grants.net.filter((x) => !had.net.includes(x)),
    read: p.grants.read.filter((x) => !had.read.includes(x)),
    env: p.grants.env.filter((x) => !had.env.includes(x)),
    orderConfig: p.grants.orderConfig && !had.orderConfig,
  };
}

function sentence(parts: string[]): string {
  return parts.join("; ").replace(/^./, (c) => c.toUpperCase()) + ".";
}

/** The plugins view. */
export function PluginsView() {
  const [plugins, setPlugins] = useState<PluginInfo[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [settingsOf, setSettingsOf] = useState<string | null>(null);
  const refresh = () => void pluginsChanged.value++;
  const changed = pluginsChanged.value;
  useEffect(() => {
    // the answer of a read started earlier may come last: only the newest read's counts
    let live = true;
    call("plugins.list").then((list) => live && setPlugins(list as PluginInfo[])).catch(() => {});
    return () => {
      live = false;
    };
  }, [changed]);
  const act = (what: "enable" | "disable" | "reload", id: string) =>
    attempt(async () => {
      await call(`plugins.${what}`, id);
      toast(`${what === "enable" ? "Enabled" : what === "disable" ? "Disabled" : "Reloaded"} ${id}`);
      refresh();
    });
  return (
    <section class="plugins" aria-labelledby="plugins-title">
      <header class="view-head">
        <h1 id="plugins-title">Plugins</h1>
        <span class="grow" />
        <button
          type="button"
          onClick={() =>
            attempt(async () => {
              const found = await call("plugins.rescan") as { added: string[]; removed: string[] };
              toast(`Rescanned: ${found.added.length} new, ${found.removed.length} gone`);
              refresh();
            })}
        >
          Rescan plugin folder
        </button>
      </header>
      {!plugins && <p class="empty" aria-busy="true">Loading…</p>}
      {plugins?.length === 0 && (
        <p class="empty">No plugins. Put a plugin folder into the data folder's plugins/ and rescan.</p>
      )}
      <ul class="plugin-list">
        {plugins?.map((p) => {
          const grants = plainGrants(p.grants);
          const on = p.state !== "disabled" && p.state !== "stopped";
          return (
            <li key={p.id} class={`plugin state-${p.state}`} data-plugin={p.id}>
              <div class="row wrap">
                <h2 class="grow">
                  {p.displayName} <small>{p.id}{p.version ? ` · ${p.version}` : ""}</small>
                </h2>
                <span class={`badge badge-${p.state}`}>{STATE_TEXT[p.state] ?? p.state}</span>
              </div>
              {p.reason && <p class="plugin-reason">{p.reason}</p>}
              {(p.crashes > 0 || p.lastCrash) && (
                <p class="plugin-crashes">
                  {p.crashes} crash{p.crashes === 1 ? "" : "es"} since start
                  {p.lastCrash && (
                    <>; last {new Date(p.lastCrash.time).toLocaleString()}: {p.lastCrash.reason}</>
                  )}
                </p>
              )}
              <p class="plugin-grants">
                {grants.length === 0 ? "Needs no access beyond its own folder." : sentence(grants)}
              </p>
              {p.state === "pending" && (
                <div class="plugin-asks" role="group" aria-label={`${p.displayName} asks for access`}>
                  <p>
                    <strong>It asks for access it has not been given:</strong>{" "}
                    {sentence(plainGrants(askedGrants(p)))} It will not run until you accept.
                  </p>
                  <button
                    type="button"
                    class="primary"
                    onClick={() =>
                      attempt(async () => {
                        await call("plugins.accept", p.id);
                        toast(`Accepted ${p.displayName}`);
                        refresh();
                      })}
                  >
                    Accept and start
                  </button>
                </div>
              )}
              <div class="row wrap">
                {on
                  ? <button type="button" onClick={() => act("disable", p.id)}>Disable</button>
                  : <button type="button" onClick={() => act("enable", p.id)}>Enable</button>}
                <button type="button" onClick={() => act("reload", p.id)}>Reload</button>
                <button
                  type="button"
                  aria-expanded={open === p.id}
                  onClick={() => setOpen(open === p.id ? null : p.id)}
                >
                  {open === p.id ? "Hide log" : "Show log"}
                </button>
                {p.hasSettings && (
                  <button
                    type="button"
                    aria-expanded={settingsOf === p.id}
                    onClick={() => setSettingsOf(settingsOf === p.id ? null : p.id)}
                  >
                    {settingsOf === p.id ? "Hide settings" : "Settings"}
                  </button>
                )}
              </div>
              {settingsOf === p.id && <PluginSettings id={p.id} name={p.displayName} />}
              {open === p.id && <PluginLog id={p.id} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The settings form of a plugin: its schema and its `extension_settings` entry, saved there. */
function PluginSettings({ id, name }: { id: string; name: string }) {
  const [loaded, setLoaded] = useState<{ schema: Schema; value: unknown } | null>(null);
  useEffect(() => {
    attempt(async () => {
      const [schema, settings] = await Promise.all([
        call("plugins.settingsSchema", id),
        call("settings.get") as Promise<{ extension_settings?: Record<string, unknown> }>,
      ]);
      setLoaded({ schema: (schema ?? {}) as Schema, value: settings.extension_settings?.[id] });
    });
  }, [id]);
  if (!loaded) return <p class="empty" aria-busy="true">Loading settings…</p>;
  return (
    <section class="plugin-settings" aria-label={`Settings of ${name}`}>
      <SchemaForm
        schema={loaded.schema}
        value={loaded.value}
        idPrefix={`settings-${id}`}
        onSave={(value) =>
          attempt(async () => {
            const settings = await call("settings.get") as { extension_settings?: unknown };
            const key = id.replaceAll("~", "~0").replaceAll("/", "~1");
            await call(
              "settings.patch",
              settings.extension_settings && typeof settings.extension_settings === "object"
                ? [{ op: "add", path: `/extension_settings/${key}`, value }]
                : [{ op: "add", path: "/extension_settings", value: { [id]: value } }],
            );
            toast(`Saved the settings of ${name}`);
          })}
      />
    </section>
  );
}

function PluginLog({ id }: { id: string }) {
  const [lines, setLines] = useState<PluginLogEntry[] | null>(null);
  useEffect(() => {
    let live = true;
    const tick = () =>
      call("plugins.logs", id, { limit: 200 }).then((l) => live && setLines(l as PluginLogEntry[])).catch(
        () => {},
      );
    tick();
    const timer = setInterval(tick, 2_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [id]);
  return (
    <div class="plugin-log" role="log" aria-label={`Log of ${id}`}>
      {lines?.length === 0 && <p class="empty">Nothing logged.</p>}
      {lines?.map((l, i) => (
        <div key={i} class={`log-${l.level}`}>
          <time>{new Date(l.time).toLocaleTimeString()}</time> <span class="log-level">{l.level}</span>{" "}
          {l.text}
        </div>
      ))}
    </div>
  );
}
