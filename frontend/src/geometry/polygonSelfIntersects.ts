import type { PointPx } from "./types.js";

function orientation(a: PointPx, b: PointPx, c: PointPx): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  if (Math.abs(v) < 1e-12) return 0;
  return v > 0 ? 1 : -1;
}

function onSegment(a: PointPx, b: PointPx, p: PointPx): boolean {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}

function segmentsIntersect(p1: PointPx, p2: PointPx, q1: PointPx, q2: PointPx): boolean {
  const o1 = orientation(p1, p2, q1);
  const o2 = orientation(p1, p2, q2);
  const o3 = orientation(q1, q2, p1);
  const o4 = orientation(q1, q2, p2);
  if (o1 !== o2 && o3 !== o4) return true;
  if (o1 === 0 && onSegment(p1, p2, q1)) return true;
  if (o2 === 0 && onSegment(p1, p2, q2)) return true;
  if (o3 === 0 && onSegment(q1, q2, p1)) return true;
  if (o4 === 0 && onSegment(q1, q2, p2)) return true;
  return false;
}

/**
 * Whether a closed polygon crosses or touches itself (non-adjacent edges meet).
 *
 * O(n²) over edges; contours drawn by hand have tens of points, so this is cheap.
 *
 * @param points vertices in image pixels; the closing edge is implied.
 * @returns true when two non-adjacent edges intersect (the polygon is not simple).
 */
export function polygonSelfIntersects(points: readonly PointPx[]): boolean {
  const n = points.length;
  if (n < 4) return false;
  for (let i = 0; i < n; i++) {
    const a1 = points[i]!;
    const a2 = points[(i + 1) % n]!;
    for (let j = i + 1; j < n; j++) {
      // Skip the edge itself and its neighbours (they share a vertex by construction).
      if (j === i || (j + 1) % n === i || (i + 1) % n === j) continue;
      const b1 = points[j]!;
      const b2 = points[(j + 1) % n]!;
      if (segmentsIntersect(a1, a2, b1, b2)) return true;
    }
  }
  return false;
}
