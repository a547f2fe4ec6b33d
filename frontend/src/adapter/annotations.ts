import { frameKey, frameOf } from "../document/document.js";
import type { DocumentStore } from "../document/store.js";
import type { AnnotationDocument, CalciumEntry, CalciumSegment, FrameAnnotations, FrameSource, Point, Provenance, StentEdges } from "../document/types.js";
import { polygonCentroidPx } from "../geometry/polygonCentroidPx.js";
import type { PointPx } from "../geometry/types.js";

/** Rounds to 1/100 px: sub-pixel precision without float noise in the stored JSON. */
function roundPx(v: number): number {
  return Math.round(v * 100) / 100;
}

function toPoint(p: PointPx): Point {
  return [roundPx(p[0]), roundPx(p[1])];
}

function ensureFrame(draft: AnnotationDocument, frame: number): FrameAnnotations {
  const key = frameKey(frame);
  return (draft.frames[key] ??= {});
}

/** Which polygon of a frame a contour tool edits. */
export type ContourKind = "lumen" | "stent";

/** Options of a contour edit: its spline control points and its provenance (SPEC §11). */
export interface ContourEdit {
  /** The control points the contour is the spline of; absent: a plain polygon (no ctrl kept). */
  ctrl?: readonly PointPx[];
  /** Absent: "auto_edited" when the contour came from the proposal, else "manual". */
  source?: Provenance;
}

/** A hand edit of something the proposal gave becomes "auto_edited"; anything else is manual. */
export function editedSource(previous: Provenance | undefined): Provenance {
  return previous === "auto" || previous === "auto_edited" ? "auto_edited" : "manual";
}

function setSource(entry: FrameAnnotations, element: keyof FrameSource, value: Provenance | null): void {
  if (value === null) {
    if (entry.source) {
      delete entry.source[element];
      if (Object.keys(entry.source).length === 0) delete entry.source;
    }
    return;
  }
  (entry.source ??= {})[element] = value;
}

/**
 * The only way tools change annotations: each method is one undoable edit of the document
 * store, in image pixels of the given frame (or frame indices for longitudinal marks).
 * Viewer-library objects never pass through here.
 */
export class AnnotationAdapter {
  constructor(private readonly store: DocumentStore) {}

  get readOnly(): boolean {
    return this.store.readOnly;
  }

  get document(): Readonly<AnnotationDocument> {
    return this.store.document;
  }

  frame(frame: number): Readonly<FrameAnnotations> | undefined {
    // Before the first frame is shown the viewer's frame is -1: nothing annotated there.
    if (!Number.isInteger(frame) || frame < 0) return undefined;
    return frameOf(this.store.document, frame);
  }

  /** Sets (or with null, removes) the frame's lumen contour. */
  setLumen(frame: number, points: readonly PointPx[] | null): boolean {
    return this.setContour("lumen", frame, points);
  }

  /**
   * Sets (or with null, removes) a contour. Removing a lumen pins the old centroid as the
   * explicit `center` of that frame's calcium arcs, so they keep their angle and the document
   * stays valid (SPEC §4: an arc without lumen needs a centre).
   */
  setContour(kind: ContourKind, frame: number, points: readonly PointPx[] | null, edit: ContourEdit = {}): boolean {
    return this.store.edit((draft) => {
      const entry = ensureFrame(draft, frame);
      const ctrlKey = kind === "lumen" ? "lumen_ctrl" : "stent_ctrl";
      if (points !== null) {
        const previous = entry.source?.[kind];
        entry[kind] = points.map(toPoint);
        if (edit.ctrl) entry[ctrlKey] = edit.ctrl.map(toPoint);
        else delete entry[ctrlKey];
        setSource(entry, kind, edit.source ?? editedSource(previous));
        return;
      }
      delete entry[ctrlKey];
      setSource(entry, kind, null);
      if (kind === "lumen" && entry.lumen && entry.calcium?.some((c) => !c.center)) {
        const centroid = polygonCentroidPx(entry.lumen);
        if (centroid) for (const c of entry.calcium) c.center ??= toPoint(centroid);
      }
      delete entry[kind];
    });
  }

  addStrut(frame: number, point: PointPx, source?: Provenance): boolean {
    return this.store.edit((draft) => {
      const entry = ensureFrame(draft, frame);
      const first = !entry.struts?.length;
      (entry.struts ??= []).push(toPoint(point));
      setSource(entry, "struts", source ?? (first ? "manual" : editedSource(entry.source?.struts)));
    });
  }

  removeStrut(frame: number, index: number): boolean {
    return this.store.edit((draft) => {
      const entry = draft.frames[frameKey(frame)];
      const struts = entry?.struts;
      if (!entry || !struts || index < 0 || index >= struts.length) return;
      struts.splice(index, 1);
      if (struts.length === 0) setSource(entry, "struts", null);
      else setSource(entry, "struts", editedSource(entry.source?.struts));
    });
  }

  /** Replaces the whole frame's proposal-derived elements in one undoable edit. */
  applyFrame(frame: number, apply: (entry: FrameAnnotations) => void): boolean {
    return this.store.edit((draft) => apply(ensureFrame(draft, frame)));
  }

  /** Several frames (and the stent edges) in one undoable edit. */
  applyDocument(apply: (draft: AnnotationDocument) => void): boolean {
    return this.store.edit(apply);
  }

  /** Adds a calcium entry (arc swept clockwise from `first` to `second`); `center` only when given. */
  addCalciumArc(frame: number, first: PointPx, second: PointPx, center?: PointPx): boolean {
    return this.store.edit((draft) => {
      const entry = ensureFrame(draft, frame);
      const calcium: CalciumEntry = { arc: [toPoint(first), toPoint(second)] };
      if (center) calcium.center = toPoint(center);
      (entry.calcium ??= []).push(calcium);
    });
  }

  /** Sets the thickness caliper of calcium entry `index` (null removes it). */
  setCalciumThickness(frame: number, index: number, caliper: readonly [PointPx, PointPx] | null): boolean {
    return this.store.edit((draft) => {
      const calcium = draft.frames[frameKey(frame)]?.calcium?.[index];
      if (!calcium) return;
      if (caliper === null) delete calcium.thickness;
      else calcium.thickness = [toPoint(caliper[0]), toPoint(caliper[1])];
    });
  }

  removeCalcium(frame: number, index: number): boolean {
    return this.store.edit((draft) => {
      const calcium = draft.frames[frameKey(frame)]?.calcium;
      if (calcium && index >= 0 && index < calcium.length) calcium.splice(index, 1);
    });
  }

  /** Sets both stent edges (ordered so distal ≤ proximal), or with null removes them. */
  setStentEdges(edges: StentEdges | null): boolean {
    return this.store.edit((draft) => {
      if (edges === null) delete draft.stent;
      else
        draft.stent = {
          distal_frame: Math.min(edges.distal_frame, edges.proximal_frame),
          proximal_frame: Math.max(edges.distal_frame, edges.proximal_frame),
        };
    });
  }

  /** Replaces the calcium segment list (each ordered start ≤ end, sorted by start). */
  setCalciumSegments(segments: readonly CalciumSegment[]): boolean {
    return this.store.edit((draft) => {
      draft.calcium_segments = segments
        .map((s) => ({ start_frame: Math.min(s.start_frame, s.end_frame), end_frame: Math.max(s.start_frame, s.end_frame) }))
        .sort((a, b) => a.start_frame - b.start_frame);
    });
  }
}
