/**
 * The app shell: top bar (menu, title, connection state), navigation, the current view and toasts.
 * Views are chosen by the address hash (`#/chat`, `#/characters`, ...), so the back button works.
 * @module
 */

import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useCurrentInSight } from "../in-sight.ts";
import { connection } from "../api.ts";
import { dismiss, mirror, toasts } from "../state.ts";
import { ChatView } from "./Chat.tsx";
import { Dialogs } from "./Dialogs.tsx";
import { CharactersView } from "./Characters.tsx";
import { GroupsView } from "./Groups.tsx";
import { PanelsView } from "./Panels.tsx";
import { PluginsView } from "./Plugins.tsx";
import { SettingsView } from "./Settings.tsx";
import { WorldInfoView } from "./WorldInfo.tsx";
import { Sidebar } from "./Sidebar.tsx";

const VIEWS = {
  chat: { label: "Chat", render: () => <ChatView /> },
  characters: { label: "Characters", render: () => <CharactersView /> },
  groups: { label: "Groups", render: () => <GroupsView /> },
  worldinfo: { label: "World Info", render: () => <WorldInfoView /> },
  plugins: { label: "Plugins", render: () => <PluginsView /> },
  panels: { label: "Panels", render: () => <PanelsView /> },
  settings: { label: "Settings", render: () => <SettingsView /> },
} satisfies Record<string, { label: string; render: () => ComponentChildren }>;
type ViewName = keyof typeof VIEWS;

function viewOf(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, "").split("/")[0];
  return name in VIEWS ? name as ViewName : "chat";
}

/** The view shown, following the address hash. */
export const view = signal<ViewName>(viewOf(location.hash));
addEventListener("hashchange", () => {
  view.value = viewOf(location.hash);
  drawer.value = false;
});

/** Whether the side drawer is open (narrow screens). */
export const drawer = signal(false);

/** Goes to a view. */
export function go(name: ViewName): void {
  location.hash = `#/${name}`;
}

const STATUS_TEXT = { connecting: "Connecting…", online: "Connected", offline: "Offline, reconnecting…" };

/** The whole page. */
export function Shell() {
  const current = view.value;
  // on narrow screens the list scrolls sideways
  const nav = useCurrentInSight<HTMLElement>(current);
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="topbar">
        <button
          type="button"
          class="icon-button menu-button"
          aria-label="Chats and characters"
          aria-expanded={drawer.value}
          aria-controls="sidebar"
          onClick={() => (drawer.value = !drawer.value)}
        >
          ☰
        </button>
        <span class="brand">Lodge</span>
        <nav aria-label="Views" class="views" ref={nav}>
          {(Object.keys(VIEWS) as ViewName[]).map((name) => (
            <a href={`#/${name}`} aria-current={name === current ? "page" : undefined}>{VIEWS[name].label}</a>
          ))}
        </nav>
        <span class={`status status-${connection.value}`} role="status" aria-live="polite">
          {STATUS_TEXT[connection.value]}
        </span>
      </header>
      <div
        class="body"
        onKeyDown={(e) => {
          // Escape closes the drawer and gives the focus back to its button
          if (e.key !== "Escape" || !drawer.value) return;
          drawer.value = false;
          document.querySelector<HTMLElement>(".menu-button")?.focus();
        }}
      >
        <Sidebar open={drawer.value} />
        <main id="main" class="main" tabIndex={-1}>
          {mirror.value ? VIEWS[current].render() : <p class="empty">Connecting to the host…</p>}
        </main>
      </div>
      <Dialogs />
      <ul class="toasts" aria-live="assertive">
        {toasts.value.map((t) => (
          <li class={`toast toast-${t.kind}`} key={t.id} role={t.kind === "error" ? "alert" : "status"}>
            <span>{t.text}</span>
            <button
              type="button"
              class="icon-button"
              aria-label="Dismiss"
              onClick={() =>
                dismiss(t.id)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
