import { distance } from "./distance.js";
import { rayPolygonDistances } from "./rayPolygonDistances.js";
import type { PointPx } from "./types.js";

/**
 * Malapposition distance of one strut in µm (SPEC §5).
 *
 * Along the ray from the lumen centroid through the strut: distance to the lumen contour minus
 * distance to the strut, so positive when the strut lies on the lumen side of the wall, ~0 on the
 * wall, negative when embedded. With several crossings (non-convex lumen) the one nearest the
 * strut counts; a strut exactly on the centroid is measured towards 3 o'clock.
 * Mirrors `metrics.strut_malapposition_um`.
 *
 * @param strutMm strut centre in mm; @param lumenMm lumen polygon in mm; @param centroidMm its centroid in mm.
 * @returns µm, or null when the ray never meets the contour.
 */
export function strutMalappositionUm(strutMm: PointPx, lumenMm: readonly PointPx[], centroidMm: PointPx): number | null {
  const same = strutMm[0] === centroidMm[0] && strutMm[1] === centroidMm[1];
  const through: PointPx = same ? [centroidMm[0] + 1, centroidMm[1]] : strutMm;
  const hits = rayPolygonDistances(centroidMm, through, lumenMm);
  if (hits.length === 0) return null;
  const strutT = distance(centroidMm, strutMm);
  let wall = hits[0]!;
  for (const t of hits) if (Math.abs(t - strutT) < Math.abs(wall - strutT)) wall = t;
  return (wall - strutT) * 1000;
}
