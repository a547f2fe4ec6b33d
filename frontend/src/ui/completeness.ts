import type { AnnotationDocument } from "../document/types.js";

/** One analysis frame's state against SPEC §2 (what a complete read needs on it). */
export interface FrameCompleteness {
  frame: number;
  /** Inside the stent edges: struts or a stent contour are required there. */
  stented: boolean;
  lumen: boolean;
  /** Struts or a stent contour (only required when `stented`). */
  stent: boolean;
  /** Calcium marked (never required: marked where present). */
  calcium: boolean;
  complete: boolean;
}

/** Completeness of each analysis frame (SPEC §2; the server checks again on submit). */
export function frameCompleteness(doc: Readonly<AnnotationDocument>, analysis: readonly number[]): FrameCompleteness[] {
  const distal = doc.stent?.distal_frame;
  const proximal = doc.stent?.proximal_frame;
  return analysis.map((f) => {
    const frame = doc.frames[String(f)];
    const stented = distal != null && proximal != null && distal <= f && f <= proximal;
    const lumen = !!frame?.lumen && frame.lumen.length >= 3;
    const stent = !!(frame?.struts?.length || (frame?.stent && frame.stent.length >= 3));
    const calcium = !!frame?.calcium?.length;
    return { frame: f, stented, lumen, stent, calcium, complete: lumen && (!stented || stent) };
  });
}

/** The next incomplete analysis frame after `current` (wrapping), or null when all are complete. */
export function nextIncomplete(rows: readonly FrameCompleteness[], current: number): number | null {
  const open = rows.filter((r) => !r.complete).map((r) => r.frame);
  if (open.length === 0) return null;
  return open.find((f) => f > current) ?? open[0]!;
}

/** "12 of 30 analysis frames complete" (with the stent edges when a post read lacks them). */
export function completenessSummary(rows: readonly FrameCompleteness[], stentEdgesMissing: boolean): string {
  const done = rows.filter((r) => r.complete).length;
  const calcium = rows.filter((r) => r.calcium).length;
  const parts = [`${done} of ${rows.length} analysis frames complete`];
  if (calcium) parts.push(`calcium marked on ${calcium}`);
  if (stentEdgesMissing) parts.push("stent edges not set");
  return parts.join(" · ");
}
