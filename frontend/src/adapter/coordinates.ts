import type { PointPx } from "../geometry/types.js";
import type { PointScreen } from "./transform.js";

/**
 * What tools know about the viewport: coordinate conversion and nothing else.
 * The canvas viewport implements it today; a Cornerstone3D viewport will implement it later
 * (world ⇄ image via `utilities.worldToImageCoords`), so tools do not change.
 */
export interface CoordinateAdapter {
  /** Screen (CSS pixels, relative to the viewport element) → image pixels [x = column, y = row]. */
  screenToImage(p: PointScreen): [number, number];
  /** Image pixels → screen (CSS pixels, relative to the viewport element). */
  imageToScreen(p: PointPx): [number, number];
  /** Whether an image point lies inside the frame (0 ≤ x < columns, 0 ≤ y < rows). */
  containsImagePoint(p: PointPx): boolean;
}
