/** An avatar image with an initial letter as fallback (before upload or when the image fails). */
import { useState } from "preact/hooks";

/**
 * Image URLs that failed on this page: an avatar showing one again starts as the letter instead of asking
 * the host once more and rendering twice (a long chat mounts a row per message scrolled past). A new
 * upload is a new URL.
 */
const failedUrls = new Set<string>();

/** Props of {@link Avatar}. */
export interface AvatarProps {
  src?: string;
  name: string;
  size?: number;
}

/** A round avatar; decorative (the name is always written beside it). */
export function Avatar({ src, name, size = 40 }: AvatarProps) {
  // the URL that failed: a new one (after an upload) is tried again
  const [failed, setFailed] = useState<string | null>(null);
  const style = { width: `${size}px`, height: `${size}px` };
  if (!src || failed === src || failedUrls.has(src)) {
    return (
      <span class="avatar avatar-letter" style={style} aria-hidden="true">
        {(name || "?").slice(0, 1).toUpperCase()}
      </span>
    );
  }
  return (
    <img
      class="avatar"
      style={style}
      src={src}
      alt=""
      loading="lazy"
      onError={() => {
        failedUrls.add(src);
        setFailed(src);
      }}
    />
  );
}
