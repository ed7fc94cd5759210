/**
 * The persona the user speaks as: name (`username`, which `{{user}}` and `name1` follow) and description
 * with where it goes in the prompt, stored where SillyTavern keeps them (`power_user.personas`,
 * `power_user.persona_descriptions` by avatar file, and the current persona's copy in
 * `power_user.persona_description*`).
 * @module
 */

import type { ComponentChildren } from "preact";
import { personaAvatar } from "../../avatars.ts";
import { Avatar } from "../Avatar.tsx";
import {
  NumberField,
  objectAt,
  patchSettings,
  pointer,
  Section,
  Select,
  settingsDoc,
  TextField,
} from "./common.tsx";

/** SillyTavern's default persona avatar file. */
const DEFAULT_AVATAR = "user-default.png";

const POSITIONS = [
  [0, "In the prompt (Persona Description)"],
  [2, "Top of the Author's Note"],
  [3, "Bottom of the Author's Note"],
  [4, "In chat, at a depth"],
  [9, "Nowhere"],
] as const;
const ROLES = [[0, "System"], [1, "User"], [2, "Assistant"]] as const;

/** What shows beside the name: the persona's avatar; an upload control may take the place. */
let avatarSlot = (avatar: string, name: string): ComponentChildren => (
  <Avatar src={personaAvatar(avatar)} name={name} size={64} />
);

/** Sets what shows in the persona's avatar slot (e.g. an image upload for `avatar`). */
export function setPersonaAvatarSlot(render: (avatar: string, name: string) => ComponentChildren): void {
  avatarSlot = render;
}

/** The persona section. */
export function PersonaSection() {
  const doc = settingsDoc.value;
  if (!doc) return <p aria-busy="true">Loading…</p>;
  const power = objectAt(doc, "power_user");
  const avatar = typeof doc.user_avatar === "string" && doc.user_avatar ? doc.user_avatar : DEFAULT_AVATAR;
  const name = typeof doc.username === "string" ? doc.username : "";
  const stored = objectAt(power, "persona_descriptions", avatar);
  const description = String(power.persona_description ?? stored.description ?? "");
  const position = Number(power.persona_description_position ?? stored.position ?? 0);
  const depth = Number(power.persona_description_depth ?? stored.depth ?? 2);
  const role = Number(power.persona_description_role ?? stored.role ?? 0);

  const setName = (value: string) =>
    patchSettings([
      { op: "add", path: "/username", value },
      { op: "add", path: pointer("power_user", "personas", avatar), value },
    ]);
  const setDescription = (field: "description" | "position" | "depth" | "role", value: unknown) =>
    patchSettings([
      {
        op: "add",
        path: pointer("power_user", `persona_description${field === "description" ? "" : `_${field}`}`),
        value,
      },
      { op: "add", path: pointer("power_user", "persona_descriptions", avatar, field), value },
    ]);

  return (
    <Section id="persona" title="Persona">
      <div class="row wrap persona">
        <div class="persona-avatar" data-slot="persona-avatar">{avatarSlot(avatar, name)}</div>
        <div class="grow">
          <TextField
            label="Your name"
            value={name}
            onChange={(v) => setName(v.trim())}
            hint="{{user}} in prompts."
          />
        </div>
      </div>
      <TextField
        label="Description"
        value={description}
        multiline
        rows={4}
        onChange={(v) => setDescription("description", v)}
      />
      <div class="row wrap">
        <Select
          label="Description goes"
          value={POSITIONS.some(([p]) => p === position) ? position : 0}
          options={POSITIONS}
          onChange={(v) => setDescription("position", v)}
        />
        {position === 4 && (
          <>
            <NumberField
              label="Depth"
              value={depth}
              min={0}
              step={1}
              onChange={(v) => setDescription("depth", v)}
            />
            <Select label="Role" value={role} options={ROLES} onChange={(v) => setDescription("role", v)} />
          </>
        )}
      </div>
    </Section>
  );
}
