/**
 * World Info's global settings (`world_info_settings`: scan depth, budget, recursion, matching
 * defaults, insertion strategy) and the books active everywhere (`world_info.globalSelect`). The books'
 * entries are edited in the World Info view.
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { resolveWorldInfoSettings } from "../../../../../core/worldinfo/types.ts";
import { call } from "../../api.ts";
import { Check, NumberField, patchSettings, pointer, Section, Select, settingsDoc } from "./common.tsx";

const NUMBERS = [
  ["world_info_depth", "Scan depth (messages)", 0, 1000],
  ["world_info_budget", "Budget (% of context)", 1, 100],
  ["world_info_budget_cap", "Budget cap (tokens, 0 = none)", 0, 1_000_000],
  ["world_info_min_activations", "Min activations", 0, 100],
  ["world_info_min_activations_depth_max", "Min activations: max depth", 0, 1000],
  ["world_info_max_recursion_steps", "Max recursion steps (0 = no limit)", 0, 100],
] as const;
const FLAGS = [
  ["world_info_recursive", "Recursive scan"],
  ["world_info_include_names", "Include names"],
  ["world_info_case_sensitive", "Case-sensitive keys"],
  ["world_info_match_whole_words", "Match whole words"],
  ["world_info_use_group_scoring", "Group scoring"],
  ["world_info_overflow_alert", "Alert on overflow"],
] as const;
const STRATEGY = [[0, "Sorted evenly"], [1, "Character lore first"], [2, "Global lore first"]] as const;

/** The World Info settings section. */
export function WorldInfoSettingsSection() {
  const [books, setBooks] = useState<string[]>([]);
  useEffect(() => void call("getWorldInfoNames").then(setBooks).catch(() => {}), []);
  const doc = settingsDoc.value;
  if (!doc) return <p aria-busy="true">Loading…</p>;
  const wi = resolveWorldInfoSettings(doc.world_info_settings);
  const selected = wi.world_info.globalSelect ?? [];
  const set = (field: string, value: unknown) =>
    patchSettings([{ op: "add", path: pointer("world_info_settings", field), value }]);
  return (
    <Section
      id="wi-settings"
      title="World Info"
      actions={<a href="#/worldinfo" class="button-link">Edit books and entries</a>}
    >
      <fieldset class="group">
        <legend>Active everywhere</legend>
        {books.length === 0 && <p class="empty">No books yet.</p>}
        <div class="row wrap">
          {books.map((book) => (
            <Check
              key={book}
              label={book}
              checked={selected.includes(book)}
              onChange={(on) =>
                patchSettings([{
                  op: "add",
                  path: "/world_info_settings/world_info/globalSelect",
                  value: on ? [...new Set([...selected, book])] : selected.filter((b) => b !== book),
                }])}
            />
          ))}
        </div>
      </fieldset>
      <div class="row wrap">
        {NUMBERS.map(([field, label, min, max]) => (
          <NumberField
            key={field}
            label={label}
            value={wi[field]}
            min={min}
            max={max}
            step={1}
            onChange={(v) => set(field, v)}
          />
        ))}
        <Select
          label="Insertion strategy"
          value={wi.world_info_character_strategy}
          options={STRATEGY}
          onChange={(v) => set("world_info_character_strategy", v)}
        />
      </div>
      <div class="row wrap">
        {FLAGS.map(([field, label]) => (
          <Check
            key={field}
            label={label}
            checked={wi[field]}
            onChange={(on) => set(field, on)}
          />
        ))}
      </div>
    </Section>
  );
}
