import type { PointPx } from "./types.js";

/**
 * Area of a simple closed polygon by the shoelace formula.
 *
 * @param points vertices in image pixels (x = column, y = row); the closing edge is implied.
 * @returns the unsigned area in square pixels (px²); 0 for fewer than 3 points.
 */
export function polygonAreaPx2(points: readonly PointPx[]): number {
  const n = points.length;
  if (n < 3) return 0;
  let twiceArea = 0;
  for (let i = 0; i < n; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % n]!;
    twiceArea += x1 * y2 - x2 * y1;
  }
  return Math.abs(twiceArea) / 2;
}
