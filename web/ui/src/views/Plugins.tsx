/**
 * Plugins: every plugin with its state and why, its crash count and last crash, what it may reach
 * written plainly, and enable, disable, reload and its log. The list is read again every two seconds
 * while the view is open (the host has no plugin state event), so a crash shows without a reload.
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { plainGrants, type PluginInfo, type PluginLogEntry } from "../../../../core/plugin-admin.ts";
import { call } from "../api.ts";
import { refreshPluginUis } from "../plugin-ui.ts";
import { attempt, toast } from "../state.ts";

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

/** The plugins view. */
export function PluginsView() {
  const [plugins, setPlugins] = useState<PluginInfo[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = async () => {
    const list = await call("plugins.list") as PluginInfo[];
    setPlugins(list);
    await refreshPluginUis(list);
  };
  useEffect(() => {
    let live = true;
    const tick = () => live && refresh().catch(() => {});
    tick();
    const timer = setInterval(tick, 2_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const act = (what: "enable" | "disable" | "reload", id: string) =>
    attempt(async () => {
      await call(`plugins.${what}`, id);
      toast(`${what === "enable" ? "Enabled" : what === "disable" ? "Disabled" : "Reloaded"} ${id}`);
      await refresh();
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
              await refresh();
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
                {grants.length === 0
                  ? "Needs no access beyond its own folder."
                  : grants.join("; ").replace(/^./, (c) => c.toUpperCase()) + "."}
              </p>
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
              </div>
              {open === p.id && <PluginLog id={p.id} />}
            </li>
          );
        })}
      </ul>
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
