import { angleDeg } from "./angleDeg.js";
import { arcSpanDeg } from "./arcSpanDeg.js";
import type { PointPx } from "./types.js";

/** One calcium arc: centre, first and second edge point (all in the same unit, e.g. mm). */
export type CalciumArcInput = readonly [center: PointPx, first: PointPx, second: PointPx];

/**
 * Sum of the clockwise calcium arcs of one frame, in degrees, capped at 360 (SPEC §4, §5).
 * Each arc is swept clockwise from the first to the second point seen from its centre.
 * Mirrors `metrics.calcium_arc_deg`.
 *
 * @returns degrees, or null when there is no entry.
 */
export function calciumArcDeg(entries: readonly CalciumArcInput[]): number | null {
  if (entries.length === 0) return null;
  let total = 0;
  for (const [c, p, q] of entries) total += arcSpanDeg(angleDeg(c, p), angleDeg(c, q));
  return Math.min(360, total);
}
