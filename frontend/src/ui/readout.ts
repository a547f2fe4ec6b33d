import type { Point } from "../document/types.js";
import { areaMm2 } from "../geometry/areaMm2.js";
import { polygonAreaPx2 } from "../geometry/polygonAreaPx2.js";
import type { PixelSpacingMm } from "../geometry/types.js";

export type LumenAreaReadout =
  | { kind: "none" }
  /** No pixel spacing: the area is only known in px², never guessed in mm². */
  | { kind: "uncalibrated"; areaPx2: number }
  | { kind: "calibrated"; areaMm2: number; areaPx2: number };

function validSpacing(spacing: readonly number[] | null | undefined): spacing is PixelSpacingMm {
  return Array.isArray(spacing) && spacing.length === 2 && spacing.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
}

/** The live lumen-area readout of one frame. */
export function lumenAreaReadout(lumen: readonly Point[] | undefined, pixelSpacingMm: readonly number[] | null | undefined): LumenAreaReadout {
  if (!lumen || lumen.length < 3) return { kind: "none" };
  const areaPx2 = polygonAreaPx2(lumen);
  if (!validSpacing(pixelSpacingMm)) return { kind: "uncalibrated", areaPx2 };
  return { kind: "calibrated", areaMm2: areaMm2(areaPx2, pixelSpacingMm), areaPx2 };
}

export function lumenAreaText(readout: LumenAreaReadout): string {
  switch (readout.kind) {
    case "none":
      return "—";
    case "uncalibrated":
      return "uncalibrated";
    case "calibrated":
      return `${readout.areaMm2.toFixed(2)} mm²`;
  }
}
