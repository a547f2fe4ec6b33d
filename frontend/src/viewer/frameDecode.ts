/**
 * Decoding a frame's JPEG/PNG bytes, the same code in the frame worker and (fallback) on the
 * page's thread: an ImageBitmap for the canvas viewport, or grey levels (one byte per pixel,
 * the red channel: frames are MONOCHROME2 or grey RGB) for Cornerstone's image cache.
 */

/** Grey levels of a decoded frame, row-major. */
export interface GreyFrame {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export type DecodeKind = "bitmap" | "grey";

/** Whether this global scope can decode (createImageBitmap, and OffscreenCanvas for grey). */
export function canDecode(kind: DecodeKind): boolean {
  if (typeof createImageBitmap !== "function") return false;
  return kind === "bitmap" || typeof OffscreenCanvas === "function";
}

export function decodeBitmap(blob: Blob): Promise<ImageBitmap> {
  return createImageBitmap(blob);
}

let scratch: OffscreenCanvasRenderingContext2D | null = null;

/** Decodes and reads back the red channel (one reused scratch canvas per thread). */
export async function decodeGrey(blob: Blob): Promise<GreyFrame> {
  const bitmap = await createImageBitmap(blob);
  try {
    const { width, height } = bitmap;
    if (!scratch || scratch.canvas.width !== width || scratch.canvas.height !== height) {
      scratch = new OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true });
      if (!scratch) throw new Error("2D canvas unavailable");
    }
    scratch.drawImage(bitmap, 0, 0);
    const rgba = scratch.getImageData(0, 0, width, height).data;
    const pixels = new Uint8Array(width * height);
    for (let i = 0, j = 0; i < pixels.length; i++, j += 4) pixels[i] = rgba[j]!;
    return { pixels, width, height };
  } finally {
    bitmap.close();
  }
}
