import { CalciumArcTool } from "./CalciumArcTool.js";
import { CalciumSegmentTool } from "./CalciumSegmentTool.js";
import { CalciumThicknessTool } from "./CalciumThicknessTool.js";
import { LumenContourTool } from "./LumenContourTool.js";
import { StentContourTool } from "./StentContourTool.js";
import { StentEdgeTool } from "./StentEdgeTool.js";
import { StrutTool } from "./StrutTool.js";
import type { Tool, ToolContext } from "./tool.js";

/** The OCT tools of a viewer page, by name. */
export type ToolName = "lumen" | "stent" | "struts" | "calcium-arc" | "calcium-thickness" | "stent-edges" | "calcium-segments";

/** Tool buttons in panel order: [tool (null = navigate only), label, shortcut key]. */
export const TOOL_ENTRIES: ReadonlyArray<[ToolName | null, string, string]> = [
  [null, "Navigate", "N"],
  ["lumen", "Lumen contour", "L"],
  ["stent", "Stent contour", "T"],
  ["struts", "Struts", "S"],
  ["calcium-arc", "Calcium arc", "A"],
  ["calcium-thickness", "Calcium thickness", "K"],
  ["stent-edges", "Stent edges", "E"],
  ["calcium-segments", "Calcium segment", "G"],
];

/** One instance of every tool on `context` (one document, one viewport adapter). */
export function createToolSet(context: ToolContext): Record<ToolName, Tool> {
  return {
    lumen: new LumenContourTool(context),
    stent: new StentContourTool(context),
    struts: new StrutTool(context),
    "calcium-arc": new CalciumArcTool(context),
    "calcium-thickness": new CalciumThicknessTool(context),
    "stent-edges": new StentEdgeTool(context),
    "calcium-segments": new CalciumSegmentTool(context),
  };
}
