/**
 * The annotation document (SPEC §4): one JSON document per read, replaced whole on save.
 * All points are image pixels of their frame: [x = column, y = row], origin top-left.
 */

export type Point = [number, number];

export interface StentEdges {
  distal_frame: number;
  proximal_frame: number;
}

export interface CalciumSegment {
  start_frame: number;
  end_frame: number;
}

export interface CalciumEntry {
  /** Two points on the angular edges; swept clockwise from the first to the second. */
  arc: [Point, Point];
  /** Caliper across the thickest part. */
  thickness?: [Point, Point];
  /** Centre the arc is seen from; default: the frame's lumen centroid. */
  center?: Point;
}

/** Where a frame's element came from (SPEC §11). */
export type Provenance = "auto" | "auto_edited" | "manual";

export interface FrameSource {
  lumen?: Provenance;
  stent?: Provenance;
  struts?: Provenance;
}

export interface FrameAnnotations {
  /** Closed polygon on the luminal border (≥ 3 points, no self-intersection). */
  lumen?: Point[];
  /** Control points of a smooth lumen (the stored `lumen` is their spline, densely sampled). */
  lumen_ctrl?: Point[];
  /** Control points of a smooth stent contour. */
  stent_ctrl?: Point[];
  /** Provenance of the lumen, stent contour and struts (SPEC §11). */
  source?: FrameSource;
  /** Closed polygon on the struts' luminal surface. */
  stent?: Point[];
  /** Centre of each strut's luminal (blooming) surface. */
  struts?: Point[];
  calcium?: CalciumEntry[];
}

export interface AnnotationDocument {
  stent?: StentEdges;
  calcium_segments?: CalciumSegment[];
  /** Keyed by the 0-based frame index as a decimal string ("128"). */
  frames: Record<string, FrameAnnotations>;
}
