/**
 * Hook order per event: the events plugins listen to, each with its listeners in the order the host
 * calls them (`eventSource.getListenersMeta`), and the plugins' order for that event, reordered by drag
 * or Up / Down and set with `eventSource.setOrderConfig` (named plugins run first, in that order; then
 * priority; `makeFirst` / `makeLast` still win). Live: `LISTENERS_CHANGED` (a plugin loaded or stopped,
 * a listener came or went, the order was set from any door) reads the lists again.
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { eventTypes } from "../../../../../core/event-types.ts";
import { call, onHostEvent, whenConnected } from "../../api.ts";
import { attempt } from "../../state.ts";
import { moved, ReorderList, Section } from "./common.tsx";

interface ListenerMeta {
  index: number;
  pluginId: string | null;
  priority: number;
  source: string;
  orderHint: "first" | "last" | null;
  listenerName: string | null;
}

/** Bumped when plugins' listeners or the order changed on the host, and on every (re)connection. */
const listenersChanged = signal(0);
onHostEvent(eventTypes.LISTENERS_CHANGED, () => listenersChanged.value++);
whenConnected(() => void listenersChanged.value++);

/** The hook order section. */
export function HookOrderSection() {
  const [events, setEvents] = useState<Record<string, ListenerMeta[]> | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const loads = useRef(0);
  const load = () =>
    attempt(async () => {
      const mine = ++loads.current;
      const names = await call("eventSource.listenedEvents");
      const found: Record<string, ListenerMeta[]> = {};
      await Promise.all(names.map(async (event) => {
        const listeners = await call("eventSource.getListenersMeta", event);
        if (listeners.some((l) => l.pluginId !== null)) found[event] = listeners;
      }));
      // a later load (a newer change) wins over one that answers late
      if (mine === loads.current) setEvents(found);
    });
  const changed = listenersChanged.value;
  useEffect(() => void load(), [changed]);
  if (!events) return <p aria-busy="true">Loading…</p>;
  const names = Object.keys(events).sort();
  return (
    <Section id="hooks" title="Hook order">
      <p class="hint">
        For each event, the plugins listed here run first, top to bottom; then the other listeners by
        priority. A plugin that asked to run first or last for an event keeps that place.
      </p>
      {names.length === 0 && <p class="empty">No plugin listens to an event now.</p>}
      <ul class="hook-events" aria-label="Events with plugin listeners">
        {names.map((event) => (
          <li key={event}>
            <button
              type="button"
              class="link-button hook-open"
              aria-expanded={open === event}
              onClick={() => setOpen(open === event ? null : event)}
            >
              <code>{event}</code> <small class="muted">{events[event].length} listener(s)</small>
            </button>
            {open === event && <EventOrder event={event} listeners={events[event]} />}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function EventOrder({ event, listeners }: { event: string; listeners: ListenerMeta[] }) {
  const plugins = [...new Set(listeners.flatMap((l) => l.pluginId === null ? [] : [l.pluginId]))];
  // the host's LISTENERS_CHANGED brings the new order back
  const setOrder = (pluginOrder: string[] | undefined) =>
    attempt(() => call("eventSource.setOrderConfig", { [event]: pluginOrder ? { pluginOrder } : {} }));
  return (
    <div class="hook-order">
      <ReorderList
        items={plugins}
        label={`Plugin order for ${event}`}
        itemKey={(id) => id}
        itemLabel={(id) => id}
        onMove={(from, to) => setOrder(moved(plugins, from, to))}
        render={(id) => <span class="prompt-name">{id}</span>}
      />
      <button type="button" onClick={() => setOrder(undefined)}>Reset to priority order</button>
      <table class="listeners">
        <caption class="visually-hidden">Listeners of {event} in call order</caption>
        <thead>
          <tr>
            <th>#</th>
            <th>Owner</th>
            <th>Priority</th>
            <th>Place</th>
            <th>Name</th>
          </tr>
        </thead>
        <tbody>
          {listeners.map((l) => (
            <tr key={l.index}>
              <td>{l.index + 1}</td>
              <td>{l.pluginId ?? l.source}</td>
              <td>{l.priority}</td>
              <td>{l.orderHint ?? ""}</td>
              <td>{l.listenerName ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
