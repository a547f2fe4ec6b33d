import type { PixelSpacingMm, PointPx } from "./types.js";

/**
 * Scales image-pixel points to millimetres: `(x × column spacing, y × row spacing)` (SPEC §3).
 *
 * Metrics convert to mm *before* measuring because the spacing may differ between rows and
 * columns, which changes areas, distances and angles (mirrors `geometry.points_to_mm`).
 *
 * @param points image pixels [x = column, y = row].
 * @param pixelSpacingMm [row spacing, column spacing] in mm per pixel (DICOM order).
 * @returns the points in mm, same order.
 */
export function pointsToMm(points: readonly PointPx[], pixelSpacingMm: PixelSpacingMm): Array<[number, number]> {
  const [rowMm, colMm] = pixelSpacingMm;
  return points.map((p) => [p[0] * colMm, p[1] * rowMm]);
}
