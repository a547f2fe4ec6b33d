import type { PointPx } from "./types.js";

/** Euclidean distance between two points, in the unit of the points (px → px, mm → mm). */
export function distance(p: PointPx, q: PointPx): number {
  return Math.hypot(q[0] - p[0], q[1] - p[1]);
}
