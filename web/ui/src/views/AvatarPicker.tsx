/**
 * A picture chooser: the current avatar, a "Change picture" button opening a file dialog, and the
 * avatar itself as a drop target for an image file. The chosen file goes to `onPick`.
 * @module
 */

import { useRef, useState } from "preact/hooks";
import { Avatar } from "./Avatar.tsx";

/** Image types offered in the file dialog (the host accepts these). */
export const IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif,image/bmp";

/** Props of {@link AvatarPicker}. */
export interface AvatarPickerProps {
  src?: string;
  name: string;
  size?: number;
  /** What the button says, e.g. "Change picture of Mara". */
  label: string;
  onPick: (file: File) => void | Promise<void>;
}

/** The chooser. */
export function AvatarPicker({ src, name, size = 64, label, onPick }: AvatarPickerProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const pick = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    try {
      await onPick(file);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = "";
    }
  };
  return (
    <div
      class={`avatar-picker${over ? " drop-over" : ""}`}
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes("Files")) return;
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        pick(e.dataTransfer?.files[0]);
      }}
    >
      <Avatar src={src} name={name} size={size} />
      <input
        ref={input}
        type="file"
        accept={IMAGE_ACCEPT}
        class="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => pick(e.currentTarget.files?.[0])}
      />
      <button
        type="button"
        class="link-button"
        aria-label={label}
        disabled={busy}
        onClick={() => input.current?.click()}
      >
        {busy ? "Uploading…" : "Change picture"}
      </button>
    </div>
  );
}
