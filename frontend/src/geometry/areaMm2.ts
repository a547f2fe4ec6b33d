import type { PixelSpacingMm } from "./types.js";

/**
 * Converts an area in square pixels to square millimetres with anisotropic pixel spacing.
 *
 * One pixel covers `row spacing × column spacing` mm² (rows run along y, columns along x),
 * so the area scales by their product.
 *
 * @param areaPx2 area in square pixels (px²).
 * @param pixelSpacingMm [row spacing, column spacing] in mm per pixel; both must be finite and > 0.
 * @returns the area in mm².
 * @throws RangeError when a spacing is not a finite positive number (never guess a calibration).
 */
export function areaMm2(areaPx2: number, pixelSpacingMm: PixelSpacingMm): number {
  const [rowMm, colMm] = pixelSpacingMm;
  if (!(Number.isFinite(rowMm) && rowMm > 0 && Number.isFinite(colMm) && colMm > 0)) {
    throw new RangeError(`invalid pixel spacing [${rowMm}, ${colMm}] mm`);
  }
  return areaPx2 * rowMm * colMm;
}
