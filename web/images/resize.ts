/**
 * Image resizing for avatars and thumbnails: the size is read from the header first (so an image that
 * would need gigabytes to decode is refused before decoding), then the picture is decoded, scaled to
 * cover the target box and cropped to it, as SillyTavern's `cover` does. Decoding and encoding are
 * Photon's (Rust compiled to WebAssembly: no native code, runs in a worker with no permissions).
 * These functions are CPU-bound; the host runs them in {@link ImageProcessor}'s worker.
 * @module
 */

import * as photon from "@cf-wasm/photon";
import { imageSize } from "image-size";

/** The image types accepted as avatars. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(["png", "jpg", "webp", "gif", "bmp"]);
/** Largest side accepted, in pixels. */
export const MAX_SIDE = 8192;
/** Largest pixel count accepted (about 160 MB of RGBA when decoded). */
export const MAX_PIXELS = 40_000_000;

/** Type and size of an image, read from its header. */
export interface ImageInfo {
  type: string;
  width: number;
  height: number;
}

/** A resized image and its media type. */
export interface Encoded {
  bytes: Uint8Array;
  mediaType: "image/png" | "image/jpeg";
}

/**
 * Reads the type and size from the header; throws for bytes that are no image of an accepted type,
 * or one larger than {@link MAX_SIDE} / {@link MAX_PIXELS}.
 *
 * @example
 * ```ts
 * imageInfo(await Deno.readFile("avatar.png")); // { type: "png", width: 512, height: 768 }
 * ```
 */
export function imageInfo(bytes: Uint8Array): ImageInfo {
  let size: { type?: string; width?: number; height?: number };
  try {
    size = imageSize(bytes);
  } catch {
    throw new TypeError("not an image (PNG, JPEG, WebP, GIF or BMP expected)");
  }
  const { type = "", width = 0, height = 0 } = size;
  if (!IMAGE_TYPES.has(type)) throw new TypeError(`image type ${type || "unknown"} is not accepted`);
  if (width < 1 || height < 1) throw new TypeError("the image has no pixels");
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw new TypeError(`the image is ${width}×${height}; at most ${MAX_SIDE} px a side and 40 megapixels`);
  }
  return { type, width, height };
}

/** How {@link cover} encodes: always PNG, or JPEG unless the result has transparent pixels. */
export type CoverFormat = "png" | "auto";

/**
 * Scales the image so it covers `width`×`height` and crops the middle of it; a smaller image is scaled
 * up, as SillyTavern's avatars are.
 *
 * @example
 * ```ts
 * const { bytes, mediaType } = cover(upload, 96, 144, "auto"); // a thumbnail
 * ```
 */
export function cover(bytes: Uint8Array, width: number, height: number, format: CoverFormat): Encoded {
  imageInfo(bytes);
  const source = photon.PhotonImage.new_from_byteslice(bytes);
  let scaled: photon.PhotonImage | undefined;
  let cropped: photon.PhotonImage | undefined;
  try {
    const w = source.get_width(), h = source.get_height();
    const scale = Math.max(width / w, height / h);
    const sw = Math.max(width, Math.round(w * scale)), sh = Math.max(height, Math.round(h * scale));
    scaled = photon.resize(source, sw, sh, photon.SamplingFilter.Lanczos3);
    const x = Math.floor((sw - width) / 2), y = Math.floor((sh - height) / 2);
    cropped = photon.crop(scaled, x, y, x + width, y + height);
    if (format === "auto" && opaque(cropped.get_raw_pixels())) {
      return { bytes: cropped.get_bytes_jpeg(90), mediaType: "image/jpeg" };
    }
    return { bytes: cropped.get_bytes(), mediaType: "image/png" };
  } finally {
    cropped?.free();
    scaled?.free();
    source.free();
  }
}

function opaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
