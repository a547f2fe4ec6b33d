import type { FrameAnnotations } from "../document/types.js";
import { calciumArcDeg, type CalciumArcInput } from "./calciumArcDeg.js";
import { diametersThrough } from "./diametersThrough.js";
import { distance } from "./distance.js";
import { exceeds } from "./exceeds.js";
import { orderByAngle } from "./orderByAngle.js";
import { pointsToMm } from "./pointsToMm.js";
import { periodicSplineArea } from "./periodicSplineArea.js";
import { polygonAreaMm2 } from "./polygonAreaMm2.js";
import { polygonCentroidPx } from "./polygonCentroidPx.js";
import { strutMalappositionUm } from "./strutMalappositionUm.js";
import type { PixelSpacingMm, PointPx } from "./types.js";

/** One strut's live readout. */
export interface StrutMeasure {
  /** µm, positive on the lumen side of the wall; null when it cannot be measured. */
  distanceUm: number | null;
  /** Whether the distance exceeds the study's strut threshold. */
  malapposed: boolean;
}

/** The SPEC §5 per-frame metrics (null = the annotations cannot support the metric). */
export interface FrameMetrics {
  lumen_area_mm2: number | null;
  lumen_min_diameter_mm: number | null;
  lumen_max_diameter_mm: number | null;
  stent_area_mm2: number | null;
  calcium_arc_deg: number | null;
  calcium_thickness_mm: number | null;
  strut_count: number;
  malapposed_strut_count: number | null;
  max_malapposition_um: number | null;
  /** Per strut, in the document's order; null when struts have no lumen to measure against. */
  struts: StrutMeasure[] | null;
}

/**
 * All SPEC §5 per-frame metrics of one frame's annotations, converting to mm before measuring
 * (anisotropic spacing). Mirrors `metrics._frame_metrics`, so the live readouts agree with the
 * server: lumen metrics need a lumen; stent area is the stent polygon, else the closed periodic
 * cubic spline through the struts ordered by angle around the lumen centroid (≥ 3); calcium arcs are seen from `center` or the lumen
 * centroid; malapposed count is 0 without struts and null with struts but no lumen.
 *
 * @param pixelSpacingMm [row, column] mm per pixel.
 * @param strutThresholdUm malapposition threshold in µm (study setting, default 100).
 */
export function frameMetrics(frame: Readonly<FrameAnnotations> | undefined, pixelSpacingMm: PixelSpacingMm, strutThresholdUm: number): FrameMetrics {
  const out: FrameMetrics = {
    lumen_area_mm2: null,
    lumen_min_diameter_mm: null,
    lumen_max_diameter_mm: null,
    stent_area_mm2: null,
    calcium_arc_deg: null,
    calcium_thickness_mm: null,
    strut_count: 0,
    malapposed_strut_count: 0,
    max_malapposition_um: null,
    struts: null,
  };
  if (!frame) return out;
  const lumenMm = frame.lumen && frame.lumen.length >= 3 ? pointsToMm(frame.lumen, pixelSpacingMm) : null;
  const centroidMm: PointPx | null = lumenMm ? polygonCentroidPx(lumenMm) : null;
  if (lumenMm && centroidMm) {
    out.lumen_area_mm2 = polygonAreaMm2(lumenMm);
    const d = diametersThrough(centroidMm, lumenMm);
    if (d) [out.lumen_min_diameter_mm, out.lumen_max_diameter_mm] = d;
  }
  const strutsMm = pointsToMm(frame.struts ?? [], pixelSpacingMm);
  if (frame.stent && frame.stent.length >= 3) out.stent_area_mm2 = polygonAreaMm2(pointsToMm(frame.stent, pixelSpacingMm));
  else if (strutsMm.length >= 3 && centroidMm) out.stent_area_mm2 = periodicSplineArea(orderByAngle(centroidMm, strutsMm));
  const arcs: CalciumArcInput[] = [];
  const thicknesses: number[] = [];
  for (const entry of frame.calcium ?? []) {
    const center = entry.center ? pointsToMm([entry.center], pixelSpacingMm)[0]! : centroidMm;
    if (center && entry.arc?.length === 2) {
      const [first, second] = pointsToMm(entry.arc, pixelSpacingMm);
      arcs.push([center, first!, second!]);
    }
    if (entry.thickness?.length === 2) {
      const [a, b] = pointsToMm(entry.thickness, pixelSpacingMm);
      thicknesses.push(distance(a!, b!));
    }
  }
  out.calcium_arc_deg = calciumArcDeg(arcs);
  out.calcium_thickness_mm = thicknesses.length ? Math.max(...thicknesses) : null;
  out.strut_count = strutsMm.length;
  if (strutsMm.length === 0) return out;
  if (!lumenMm || !centroidMm) {
    out.malapposed_strut_count = null;
    return out;
  }
  out.struts = strutsMm.map((s) => {
    const d = strutMalappositionUm(s, lumenMm, centroidMm);
    return { distanceUm: d, malapposed: d !== null && exceeds(d, strutThresholdUm) };
  });
  const malapposed = out.struts.filter((m) => m.malapposed).map((m) => m.distanceUm ?? 0);
  out.malapposed_strut_count = malapposed.length;
  out.max_malapposition_um = malapposed.length ? Math.max(...malapposed) : 0;
  return out;
}
