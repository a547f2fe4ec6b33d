/** Relative slack: values within float noise of a threshold count as equal to it. */
const REL_SLACK = 1e-9;

/**
 * `value > threshold` beyond float noise (SPEC §5 thresholds are strict), so a strut drawn exactly
 * 100 µm off the wall is not malapposed at a 100 µm threshold. Mirrors `metrics.exceeds`.
 */
export function exceeds(value: number, threshold: number): boolean {
  return value > threshold + REL_SLACK * Math.max(1, Math.abs(threshold));
}
