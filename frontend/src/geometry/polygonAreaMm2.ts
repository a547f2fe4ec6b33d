import { polygonAreaPx2 } from "./polygonAreaPx2.js";
import type { PointPx } from "./types.js";

/**
 * Shoelace area of a polygon whose points are already in millimetres, in mm² (SPEC §5).
 * The shoelace formula is unit-agnostic; this name keeps the unit visible at call sites.
 */
export function polygonAreaMm2(pointsMm: readonly PointPx[]): number {
  return polygonAreaPx2(pointsMm);
}
