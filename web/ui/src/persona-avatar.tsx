/**
 * The persona's picture in Settings: an {@link AvatarPicker} in the persona section's avatar slot. The
 * upload replaces the persona's file in place (`overwrite_name`), so the persona keeps its key in
 * `power_user.personas` and every message showing it gets the new picture.
 * @module
 */

import { personaAvatar, uploadPersonaImage } from "./avatars.ts";
import { attempt, toast } from "./state.ts";
import { AvatarPicker } from "./views/AvatarPicker.tsx";
import { setPersonaAvatarSlot } from "./views/settings/Persona.tsx";

setPersonaAvatarSlot((avatar, name) => (
  <AvatarPicker
    src={personaAvatar(avatar)}
    name={name || "You"}
    label="Change picture of your persona"
    onPick={(file) =>
      attempt(async () => {
        await uploadPersonaImage(file, avatar);
        toast("New persona picture");
      })}
  />
));
