/**
 * Avatar and thumbnail resizing: the cover crop's size and format, refusals read from the header
 * before decoding (a decompression bomb never reaches the decoder), and the worker that runs it.
 */

import assert from "node:assert/strict";
import * as photon from "@cf-wasm/photon";
import { ImageError, ImageProcessor } from "../../web/images/processor.ts";
import { cover, imageInfo } from "../../web/images/resize.ts";

/** A `width`×`height` image with a gradient; `alpha` < 255 makes it translucent. */
function picture(width: number, height: number, alpha = 255): photon.PhotonImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([i % 251, (i >> 3) % 256, 90, alpha], i * 4);
  return new photon.PhotonImage(rgba, width, height);
}

/** A PNG signature and IHDR claiming a size, with no pixel data. */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  return bytes;
}

Deno.test("cover: scaled and cropped to the box; JPEG when opaque, PNG when translucent", () => {
  const wide = picture(400, 100).get_bytes();
  const thumb = cover(wide, 96, 144, "auto");
  assert.equal(thumb.mediaType, "image/jpeg");
  assert.deepEqual(imageInfo(thumb.bytes), { type: "jpg", width: 96, height: 144 });

  const glass = picture(50, 60, 128).get_bytes();
  const up = cover(glass, 512, 768, "auto");
  assert.equal(up.mediaType, "image/png", "transparency is kept");
  assert.deepEqual(imageInfo(up.bytes), { type: "png", width: 512, height: 768 });

  const jpeg = picture(300, 450).get_bytes_jpeg(80);
  const png = cover(jpeg, 512, 768, "png");
  assert.equal(png.mediaType, "image/png");
  assert.deepEqual(imageInfo(png.bytes), { type: "png", width: 512, height: 768 });

  const webp = cover(picture(120, 80).get_bytes_webp(), 96, 144, "auto");
  assert.equal(imageInfo(webp.bytes).width, 96);
});

Deno.test("imageInfo: refuses what is no image and sizes past the limits, from the header alone", () => {
  assert.throws(() => imageInfo(new TextEncoder().encode("<svg onload=alert(1)>")), /not an image/);
  assert.throws(() => imageInfo(new Uint8Array(0)), /not an image/);
  assert.throws(() => cover(pngHeader(60_000, 60_000), 96, 144, "auto"), /at most 8192 px/);
  assert.throws(() => cover(pngHeader(8000, 8000), 96, 144, "auto"), /40 megapixels/);
  assert.deepEqual(imageInfo(pngHeader(512, 768)), { type: "png", width: 512, height: 768 });
});

Deno.test("ImageProcessor: resizes in its worker, reports refusals, fails after close", async () => {
  const images = new ImageProcessor({ idleMs: 50 });
  try {
    const [a, b] = await Promise.all([
      images.cover(picture(200, 300).get_bytes(), 96, 144, "auto"),
      images.cover(picture(30, 30).get_bytes_jpeg(90), 512, 768, "png"),
    ]);
    assert.deepEqual(imageInfo(a.bytes), { type: "jpg", width: 96, height: 144 });
    assert.deepEqual(imageInfo(b.bytes), { type: "png", width: 512, height: 768 });
    await assert.rejects(images.cover(pngHeader(9000, 10), 96, 144, "auto"), ImageError);
    // a corrupt image with a valid header fails in the decoder, and the next request still works
    const broken = picture(64, 64).get_bytes().slice(0, 60);
    await assert.rejects(images.cover(broken, 96, 144, "auto"), ImageError);
    const after = await images.cover(picture(64, 64).get_bytes(), 10, 10, "auto");
    assert.equal(imageInfo(after.bytes).width, 10);
  } finally {
    images.close();
  }
  await assert.rejects(images.cover(new Uint8Array(1), 1, 1, "auto"), /closed/);
});
