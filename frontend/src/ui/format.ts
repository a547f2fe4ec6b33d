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
