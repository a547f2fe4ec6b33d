import type { PointPx } from "./types.js";

/**
 * Signed distances along the line through `origin` with unit direction `dir` to every polygon
 * edge it crosses (negative behind the origin), in the unit of the points. Edges parallel to the
 * line are skipped. Mirrors `geometry.line_hits` for one direction.
 */
export function lineHits(origin: PointPx, dir: PointPx, polygon: readonly PointPx[]): number[] {
  const out: number[] = [];
  const n = polygon.length;
  const [dx, dy] = dir;
  for (let i = 0; i < n; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % n]!;
    const ax = a[0] - origin[0];
    const ay = a[1] - origin[1];
    const ex = b[0] - a[0];
    const ey = b[1] - a[1];
    const denom = dx * ey - dy * ex;
    if (denom === 0) continue;
    const t = (ax * ey - ay * ex) / denom;
    const s = (ax * dy - ay * dx) / denom;
    if (s >= -1e-12 && s <= 1 + 1e-12) out.push(t);
  }
  return out;
}

/**
 * Sorted distances from `origin` to where the ray through `through` crosses `polygon`
 * (SPEC §5 malapposition). Unit of the points; empty when the ray misses or `through` equals
 * `origin`. Mirrors `geometry.ray_polygon_distances`.
 */
export function rayPolygonDistances(origin: PointPx, through: PointPx, polygon: readonly PointPx[]): number[] {
  const dx = through[0] - origin[0];
  const dy = through[1] - origin[1];
  const norm = Math.hypot(dx, dy);
  if (norm === 0 || polygon.length < 2) return [];
  let scale = 1;
  for (const p of polygon) scale = Math.max(scale, Math.abs(p[0]), Math.abs(p[1]));
  return lineHits(origin, [dx / norm, dy / norm], polygon)
    .filter((t) => t > 1e-12 * scale)
    .sort((a, b) => a - b);
}
