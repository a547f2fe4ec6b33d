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

export interface FrameAnnotations {
  /** Closed polygon on the luminal border (≥ 3 points, no self-intersection). */
  lumen?: Point[];
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
