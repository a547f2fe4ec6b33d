import type { FrameAnnotations } from "../document/types.js";
import type { ToolName } from "../tools/toolSet.js";
import type { FrameCompleteness } from "./completeness.js";

/**
 * The per-frame order of work on the reading page: lumen → struts (inside the stent) → calcium
 * arc → calcium thickness, then the next incomplete frame. A finished step (lumen closed, arc or
 * caliper placed) selects the next tool by itself; Enter skips a step.
 */
export type SequenceNext = ToolName | "next-frame" | null;

export function nextStep(current: ToolName | null, stented: boolean): SequenceNext {
  switch (current) {
    case "lumen":
      return stented ? "struts" : "calcium-arc";
    case "stent":
    case "struts":
      return "calcium-arc";
    case "calcium-arc":
      return "calcium-thickness";
    case "calcium-thickness":
      return "next-frame";
    default:
      return null;
  }
}

/** The tool to start a frame with: its first missing required element, else the lumen. */
export function firstStep(row: FrameCompleteness | undefined): ToolName {
  if (row && row.lumen && row.stented && !row.stent) return "struts";
  return "lumen";
}

/** What a frame holds that the sequence watches (a step is done when its count grows). */
export interface StepCounts {
  lumen: boolean;
  arcs: number;
  calipers: number;
}

export function stepCounts(frame: FrameAnnotations | undefined): StepCounts {
  return {
    lumen: !!frame?.lumen && frame.lumen.length >= 3,
    arcs: frame?.calcium?.length ?? 0,
    calipers: frame?.calcium?.filter((c) => c.thickness).length ?? 0,
  };
}

/** True when `tool`'s step was just completed between `before` and `after`. */
export function stepCompleted(tool: ToolName | null, before: StepCounts, after: StepCounts): boolean {
  if (tool === "lumen") return !before.lumen && after.lumen;
  if (tool === "calcium-arc") return after.arcs > before.arcs;
  if (tool === "calcium-thickness") return after.calipers > before.calipers;
  return false;
}
