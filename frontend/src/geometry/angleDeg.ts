import type { PointPx } from "./types.js";

/**
 * Angle of `point` seen from `center`, in degrees clockwise on screen from 3 o'clock (SPEC §3).
 *
 * Image y runs down, so `atan2(dy, dx)` already turns clockwise on screen:
 * 3 o'clock → 0°, 6 o'clock → 90°, 9 o'clock → 180°, 12 o'clock → 270°.
 *
 * @param center origin in image pixels (x = column, y = row).
 * @param point target in image pixels.
 * @returns degrees in [0, 360); 0 when the points coincide.
 */
export function angleDeg(center: PointPx, point: PointPx): number {
  const dx = point[0] - center[0];
  const dy = point[1] - center[1];
  if (dx === 0 && dy === 0) return 0;
  const deg = (Math.atan2(dy, dx) * 180) / Math.PI;
  const wrapped = ((deg % 360) + 360) % 360;
  // -1e-15 wraps to 360 in floating point; fold it back into the half-open range.
  return wrapped >= 360 ? 0 : wrapped;
}
