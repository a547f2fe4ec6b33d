import { frameKey } from "../document/document.js";
import type { AnnotationDocument, FrameAnnotations, Point } from "../document/types.js";

/** `GET /api/v1/pullbacks/{id}/auto-annotations/` (SPEC §11). */
export interface AutoProposalResponse {
  status: "pending" | "running" | "done" | "failed";
  progress_pct: number;
  algorithm: string;
  algorithm_version: string;
  annotations: AnnotationDocument;
  confidence: Record<string, number>;
  low_confidence_threshold: number;
  error: string;
}

/** What "accept" takes from the proposal on one frame. */
export interface AcceptParts {
  lumen: boolean;
  /** Struts and (with ≥ 3) the stent contour, on frames inside the proposed stent. */
  struts: boolean;
}

export interface AcceptAllResult {
  /** Frames whose lumen (and struts) were taken from the proposal. */
  accepted: number[];
  /** Analysis frames left for manual work: low confidence or no proposal. */
  needsManual: number[];
  /** Frames the reader had already annotated by hand (left as they are). */
  keptManual: number[];
  /** Whether the stent edges were taken from the proposal (the read had none). */
  stentEdgesTaken: boolean;
}

const copy = (points: readonly Point[]): Point[] => points.map((p) => [p[0], p[1]]);

/** The proposal's confidence of a frame (0 when it has none). */
export function confidenceOf(proposal: AutoProposalResponse, frame: number): number {
  return proposal.confidence[frameKey(frame)] ?? 0;
}

export function isLowConfidence(proposal: AutoProposalResponse, frame: number): boolean {
  return confidenceOf(proposal, frame) < proposal.low_confidence_threshold;
}

/**
 * Writes the proposal of `frame` into `entry` (the read's frame), marking what it wrote as
 * accepted unedited (`source: "auto"`). Returns whether anything was taken.
 */
export function acceptIntoFrame(entry: FrameAnnotations, proposed: Readonly<FrameAnnotations> | undefined, parts: AcceptParts): boolean {
  if (!proposed) return false;
  let taken = false;
  if (parts.lumen && proposed.lumen && proposed.lumen.length >= 3) {
    entry.lumen = copy(proposed.lumen);
    if (proposed.lumen_ctrl) entry.lumen_ctrl = copy(proposed.lumen_ctrl);
    else delete entry.lumen_ctrl;
    (entry.source ??= {}).lumen = "auto";
    taken = true;
  }
  if (parts.struts && proposed.struts && proposed.struts.length > 0) {
    entry.struts = copy(proposed.struts);
    (entry.source ??= {}).struts = "auto";
    if (proposed.stent && proposed.stent.length >= 3) {
      entry.stent = copy(proposed.stent);
      if (proposed.stent_ctrl) entry.stent_ctrl = copy(proposed.stent_ctrl);
      entry.source.stent = "auto";
    }
    taken = true;
  }
  return taken;
}

/**
 * Accepts the proposal on every analysis frame at once (one edit of `draft`): the stent edges
 * first when the read has none (so the analysis frames exist), then each analysis frame's lumen
 * and, inside the stent, its struts and stent contour. A frame the reader already annotated by
 * hand keeps its contour; a low-confidence frame is left for manual work.
 */
export function acceptAll(
  draft: AnnotationDocument,
  proposal: AutoProposalResponse,
  analysisFramesFor: (doc: AnnotationDocument) => number[],
): AcceptAllResult {
  const result: AcceptAllResult = { accepted: [], needsManual: [], keptManual: [], stentEdgesTaken: false };
  if (!draft.stent && proposal.annotations.stent) {
    draft.stent = { ...proposal.annotations.stent };
    result.stentEdgesTaken = true;
  }
  const stent = draft.stent;
  for (const frame of analysisFramesFor(draft)) {
    const key = frameKey(frame);
    const proposed = proposal.annotations.frames[key];
    const existing = draft.frames[key];
    if (existing?.lumen && existing.source?.lumen !== "auto") {
      result.keptManual.push(frame);
      continue;
    }
    if (!proposed?.lumen || isLowConfidence(proposal, frame)) {
      result.needsManual.push(frame);
      continue;
    }
    const inStent = !!stent && frame >= stent.distal_frame && frame <= stent.proximal_frame;
    const entry = (draft.frames[key] ??= {});
    const manualStruts = !!entry.struts?.length && entry.source?.struts !== "auto";
    acceptIntoFrame(entry, proposed, { lumen: true, struts: inStent && !manualStruts });
    result.accepted.push(frame);
  }
  return result;
}
