/**
 * Uploaded pictures made into avatars as SillyTavern makes them: scaled to cover 512×768 and stored as
 * PNG (the form a character card's picture needs, and SillyTavern's persona images have).
 * @module
 */

import { HttpError } from "../errors.ts";
import { ImageError, type ImageProcessor } from "./processor.ts";

/** SillyTavern's avatar size. */
export const AVATAR_SIZE = Object.freeze({ width: 512, height: 768 });

/** The uploaded picture as a 512×768 PNG; 400 with the reason when it is no usable image. */
export async function avatarPng(images: ImageProcessor, file: File): Promise<Uint8Array> {
  try {
    return (await images.cover(await file.bytes(), AVATAR_SIZE.width, AVATAR_SIZE.height, "png")).bytes;
  } catch (error) {
    if (error instanceof ImageError || error instanceof TypeError) {
      throw new HttpError(400, `${file.name || "the upload"}: ${error.message}`);
    }
    throw error;
  }
}
