import type { PointPx } from "../geometry/types.js";

/** A point in CSS pixels relative to the viewport's top-left corner. */
export type PointScreen = readonly [number, number];

/**
 * The viewport's mapping between image pixels and screen (CSS) pixels:
 * `screen = image × scale + offset`. Rotation and flips are not supported in this increment.
 */
export interface ViewTransform {
  /** Screen pixels per image pixel (same on both axes: pixels are drawn square, as stored). */
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export function imageToScreen(t: ViewTransform, p: PointPx): [number, number] {
  return [p[0] * t.scale + t.offsetX, p[1] * t.scale + t.offsetY];
}

export function screenToImage(t: ViewTransform, p: PointScreen): [number, number] {
  return [(p[0] - t.offsetX) / t.scale, (p[1] - t.offsetY) / t.scale];
}

/** The transform that fits a `columns × rows` image centred into a `width × height` viewport. */
export function fitTransform(columns: number, rows: number, width: number, height: number): ViewTransform {
  if (columns <= 0 || rows <= 0 || width <= 0 || height <= 0) return { scale: 1, offsetX: 0, offsetY: 0 };
  const scale = Math.min(width / columns, height / rows);
  return { scale, offsetX: (width - columns * scale) / 2, offsetY: (height - rows * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under `anchor` (screen) in place. */
export function zoomAt(t: ViewTransform, factor: number, anchor: PointScreen, minScale = 0.05, maxScale = 64): ViewTransform {
  const scale = Math.min(maxScale, Math.max(minScale, t.scale * factor));
  const [ix, iy] = screenToImage(t, anchor);
  return { scale, offsetX: anchor[0] - ix * scale, offsetY: anchor[1] - iy * scale };
}

export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { scale: t.scale, offsetX: t.offsetX + dx, offsetY: t.offsetY + dy };
}
