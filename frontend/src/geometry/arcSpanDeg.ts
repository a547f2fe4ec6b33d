/**
 * Clockwise sweep from `startDeg` to `endDeg`, in degrees in [0, 360) (SPEC §3).
 *
 * Equal angles give 0; an arc crossing 3 o'clock wraps (350° → 10° is 20°). Mirrors
 * `geometry.arc_span_deg` (Python's `%` is a floored modulo; JavaScript's is truncated, hence
 * the double modulo).
 *
 * @returns degrees; never negative.
 */
export function arcSpanDeg(startDeg: number, endDeg: number): number {
  return (((endDeg - startDeg) % 360) + 360) % 360;
}
