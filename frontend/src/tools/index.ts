export { Tool } from "./tool.js";
export type { ToolMode, ToolPointer, ToolContext, OverlayContext } from "./tool.js";
export { LumenContourTool } from "./LumenContourTool.js";
export { StrutTool, STRUT_HIT_RADIUS_SCREEN_PX } from "./StrutTool.js";
