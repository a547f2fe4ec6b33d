import type { SaveState } from "../document/store.js";

/** "saved v3" / "saving…" / "unsaved changes" / conflict / error text for the status bar. */
export function saveStateText(state: SaveState, version: number, readOnly: boolean): string {
  if (readOnly) return `read-only · v${version}`;
  switch (state.kind) {
    case "saved":
      return `saved v${version}`;
    case "saving":
      return "saving…";
    case "unsaved":
      return "unsaved changes";
    case "conflict":
      return "not saved: a newer version exists";
    case "error":
      return `not saved: ${state.message}${state.field ? ` (${state.field})` : ""}`;
  }
}

/** Frame position along the pullback in mm, or null when the frame spacing is unknown. */
export function framePositionMm(frame: number, frameSpacingMm: number | null): number | null {
  if (frameSpacingMm === null || !Number.isFinite(frameSpacingMm) || frameSpacingMm <= 0) return null;
  return frame * frameSpacingMm;
}

/**
 * A calibration value with 3 significant digits and no float noise: 0.2 → "0.200",
 * 0.20000000000000007 → "0.200", 0.01 → "0.0100", 0.1111 → "0.111".
 */
export function formatCalibration(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  return value.toPrecision(3);
}

/** Pixel spacing [row, column] for display, e.g. "0.0100 × 0.0100 mm/px". */
export function pixelSpacingText(spacing: readonly number[] | null | undefined): string {
  if (!spacing || spacing.length !== 2) return "none (mm not available)";
  return `${formatCalibration(spacing[0]!)} × ${formatCalibration(spacing[1]!)} mm/px`;
}

/** A value with a unit and fixed decimals, or "—" for null/undefined. */
export function fixedOrDash(value: number | null | undefined, decimals: number, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${value.toFixed(decimals)}${unit ? ` ${unit}` : ""}`;
}
