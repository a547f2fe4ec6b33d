import type { PointPx } from "./types.js";

/**
 * Area centroid of a simple closed polygon.
 *
 * Falls back to the mean of the vertices when the polygon is degenerate (zero area),
 * so a collinear contour still yields a usable centre.
 *
 * @param points vertices in image pixels (x = column, y = row); the closing edge is implied.
 * @returns the centroid in image pixels, or null for an empty list.
 */
export function polygonCentroidPx(points: readonly PointPx[]): [number, number] | null {
  const n = points.length;
  if (n === 0) return null;
  // Translate to the first vertex to keep the cross products small (numerical stability).
  const [ox, oy] = points[0]!;
  let twiceArea = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[(i + 1) % n]!;
    const x1 = ax - ox;
    const y1 = ay - oy;
    const x2 = bx - ox;
    const y2 = by - oy;
    const cross = x1 * y2 - x2 * y1;
    twiceArea += cross;
    cx += (x1 + x2) * cross;
    cy += (y1 + y2) * cross;
  }
  if (Math.abs(twiceArea) < 1e-12) {
    let sx = 0;
    let sy = 0;
    for (const [x, y] of points) {
      sx += x;
      sy += y;
    }
    return [sx / n, sy / n];
  }
  return [ox + cx / (3 * twiceArea), oy + cy / (3 * twiceArea)];
}
