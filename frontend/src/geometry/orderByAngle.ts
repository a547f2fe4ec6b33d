import { angleDeg } from "./angleDeg.js";
import { distance } from "./distance.js";
import type { PointPx } from "./types.js";

/**
 * The points sorted clockwise on screen from 3 o'clock around `center` (SPEC §5 strut polygon).
 * Ties (same angle) keep the nearer point first so the order is deterministic.
 * Mirrors `geometry.order_by_angle`; unit-free.
 */
export function orderByAngle(center: PointPx, points: readonly PointPx[]): Array<[number, number]> {
  return points
    .map((p): [number, number] => [p[0], p[1]])
    .sort((a, b) => angleDeg(center, a) - angleDeg(center, b) || distance(center, a) - distance(center, b));
}
