import { ContourTool } from "./ContourTool.js";

/**
 * Lumen contour (SPEC §4 `lumen`): a closed polygon on the luminal border of the current frame.
 * Draw, edit and delete as described on {@link ContourTool}.
 */
export class LumenContourTool extends ContourTool {
  readonly name = "lumen";
  readonly label = "Lumen contour";
  readonly shortcut = "l";
  protected readonly kind = "lumen";
  protected readonly colour = "#f5c542";
}
