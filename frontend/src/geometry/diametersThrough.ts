import { lineHits } from "./rayPolygonDistances.js";
import type { PointPx } from "./types.js";

/** Extra directions swept (every 0.5°), as in the Python domain. */
const SWEEP_STEPS = 360;

/**
 * Minimum and maximum chord of `polygon` through `center` (SPEC §5 lumen diameters).
 *
 * A chord in direction u runs from the first crossing along −u to the first along +u. Candidate
 * directions: towards every vertex, perpendicular to every edge, and a 0.5° sweep (mirrors
 * `geometry.diameters_through`). Unit of the points.
 *
 * @returns [min, max], or null when `center` is not enclosed (some direction has no crossing).
 */
export function diametersThrough(center: PointPx, polygon: readonly PointPx[]): [number, number] | null {
  const n = polygon.length;
  if (n < 3) return null;
  const thetas: number[] = [];
  for (const p of polygon) thetas.push(Math.atan2(p[1] - center[1], p[0] - center[0]));
  for (let i = 0; i < n; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % n]!;
    thetas.push(Math.atan2(b[0] - a[0], -(b[1] - a[1])));
  }
  for (let k = 0; k < SWEEP_STEPS; k++) thetas.push((Math.PI * k) / SWEEP_STEPS);
  let min = Infinity;
  let max = -Infinity;
  for (const theta of thetas) {
    const hits = lineHits(center, [Math.cos(theta), Math.sin(theta)], polygon);
    let forward = Infinity;
    let backward = Infinity;
    for (const t of hits) {
      if (t > 0) forward = Math.min(forward, t);
      else if (t < 0) backward = Math.min(backward, -t);
    }
    const chord = forward + backward;
    if (!Number.isFinite(chord)) return null;
    min = Math.min(min, chord);
    max = Math.max(max, chord);
  }
  return [min, max];
}
