/**
 * The Settings view: connection profiles, presets and their prompts, secrets, persona, the open chat's
 * Author's Note, World Info settings, regex scripts, hook order and SillyTavern import, one section at a time, chosen by the
 * address (`#/settings/presets`), so a section can be linked and the back button works.
 * @module
 */

import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useCurrentInSight } from "../in-sight.ts";
import { AuthorsNoteSection } from "./settings/AuthorsNote.tsx";
import { ConnectionsSection } from "./settings/Connections.tsx";
import { HookOrderSection } from "./settings/HookOrder.tsx";
import { ImportSection } from "./settings/Import.tsx";
import { PersonaSection } from "./settings/Persona.tsx";
import { PresetsSection } from "./settings/Presets.tsx";
import { RegexSection } from "./settings/Regex.tsx";
import { SecretsSection } from "./settings/Secrets.tsx";
import { WorldInfoSettingsSection } from "./settings/WorldInfoSettings.tsx";

const SECTIONS = {
  connections: { label: "Connections", render: () => <ConnectionsSection /> },
  presets: { label: "Presets", render: () => <PresetsSection /> },
  secrets: { label: "Secrets", render: () => <SecretsSection /> },
  persona: { label: "Persona", render: () => <PersonaSection /> },
  note: { label: "Author's Note", render: () => <AuthorsNoteSection /> },
  worldinfo: { label: "World Info", render: () => <WorldInfoSettingsSection /> },
  regex: { label: "Regex", render: () => <RegexSection /> },
  hooks: { label: "Hook order", render: () => <HookOrderSection /> },
  import: { label: "Import", render: () => <ImportSection /> },
} satisfies Record<string, { label: string; render: () => ComponentChildren }>;
type SectionName = keyof typeof SECTIONS;

function sectionOf(hash: string): SectionName {
  const name = hash.replace(/^#\/?/, "").split("/")[1] ?? "";
  return name in SECTIONS ? name as SectionName : "connections";
}

const section = signal<SectionName>(sectionOf(location.hash));
addEventListener("hashchange", () => (section.value = sectionOf(location.hash)));

/** The Settings view. */
export function SettingsView() {
  const current = section.value;
  // on narrow screens the list scrolls sideways
  const nav = useCurrentInSight<HTMLElement>(current);
  return (
    <div class="settings">
      <header class="view-head">
        <h1 id="settings-title">Settings</h1>
      </header>
      <div class="settings-body">
        <nav class="settings-nav" aria-label="Settings sections" ref={nav}>
          {(Object.keys(SECTIONS) as SectionName[]).map((name) => (
            <a
              key={name}
              href={`#/settings/${name}`}
              aria-current={name === current ? "page" : undefined}
            >
              {SECTIONS[name].label}
            </a>
          ))}
        </nav>
        <div class="settings-content">{SECTIONS[current].render()}</div>
      </div>
    </div>
  );
}
