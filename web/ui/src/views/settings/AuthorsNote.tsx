/**
 * The open chat's Author's Note: text, interval, position, depth and role, stored in the chat's metadata
 * (`note_prompt`, `note_interval`, `note_position`, `note_depth`, `note_role`) where the prompt engine
 * reads them, with the defaults of `extension_settings.note` shown until the chat sets its own.
 * @module
 */

import { authorsNoteSettings } from "../../../../../core/prompt/injections.ts";
import type { PromptSources } from "../../../../../core/prompt/types.ts";
import { call } from "../../api.ts";
import { attempt, mirror } from "../../state.ts";
import { NumberField, Section, Select, TextField } from "./common.tsx";

const POSITIONS = [[0, "After the main prompt"], [1, "In chat, at a depth"], [
  2,
  "Before the main prompt",
]] as const;
const ROLES = [[0, "System"], [1, "User"], [2, "Assistant"]] as const;

/** The Author's Note section. */
export function AuthorsNoteSection() {
  const m = mirror.value;
  if (!m?.chatId) {
    return (
      <Section id="note" title="Author's Note">
        <p class="empty">Open a chat to edit its Author's Note.</p>
      </Section>
    );
  }
  const note = authorsNoteSettings(m as unknown as PromptSources);
  const save = (field: string, value: unknown) => attempt(() => call("saveChatMetadata", { [field]: value }));
  return (
    <Section id="note" title="Author's Note">
      <p class="hint">For the open chat ({m.chatId}).</p>
      <TextField
        label="Note"
        value={note.prompt}
        multiline
        rows={4}
        onChange={(v) => save("note_prompt", v)}
      />
      <div class="row wrap">
        <NumberField
          label="Every N user messages"
          value={note.interval}
          min={0}
          step={1}
          hint="1: always, 0: never"
          onChange={(v) => save("note_interval", v)}
        />
        <Select
          label="Position"
          value={note.position}
          options={POSITIONS}
          onChange={(v) => save("note_position", v)}
        />
        {note.position === 1 && (
          <>
            <NumberField
              label="Depth"
              value={note.depth}
              min={0}
              step={1}
              onChange={(v) => save("note_depth", v)}
            />
            <Select label="Role" value={note.role} options={ROLES} onChange={(v) => save("note_role", v)} />
          </>
        )}
      </div>
    </Section>
  );
}
