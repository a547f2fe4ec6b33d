import { ContourTool } from "./ContourTool.js";

/**
 * Stent contour (SPEC §4 `stent`): a closed polygon on the struts' luminal surface. When a frame
 * has no stent contour, its stent area comes from the struts ordered by angle (SPEC §5).
 */
export class StentContourTool extends ContourTool {
  readonly name = "stent";
  readonly label = "Stent contour";
  readonly shortcut = "t";
  protected readonly kind = "stent";
  protected readonly colour = "#5fd38d";
}
