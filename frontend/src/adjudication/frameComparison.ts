import type { AnnotationDocument, FrameAnnotations } from "../document/types.js";
import { frameMetrics, type FrameMetrics } from "../geometry/frameMetrics.js";
import type { PixelSpacingMm } from "../geometry/types.js";

/** One row of the per-frame comparison table: a measurement and its text per document. */
export interface ComparisonRow {
  readonly key: string;
  readonly label: string;
  readonly values: readonly string[];
  /** The documents' values differ (shown emphasised, so the eye finds the disagreement). */
  readonly differs: boolean;
}

function fixed(value: number | null, digits: number, unit: string): string {
  return value === null ? "—" : `${value.toFixed(digits)} ${unit}`;
}

const ROWS: ReadonlyArray<[string, string, (m: FrameMetrics) => string]> = [
  ["lumen_area", "Lumen area", (m) => fixed(m.lumen_area_mm2, 2, "mm²")],
  ["lumen_min_diameter", "Lumen ⌀ min", (m) => fixed(m.lumen_min_diameter_mm, 2, "mm")],
  ["stent_area", "Stent area", (m) => fixed(m.stent_area_mm2, 2, "mm²")],
  ["calcium_arc", "Calcium arc", (m) => fixed(m.calcium_arc_deg, 0, "°")],
  ["calcium_thickness", "Ca thickness", (m) => fixed(m.calcium_thickness_mm, 2, "mm")],
  ["struts", "Struts", (m) => String(m.strut_count)],
  ["malapposed", "Malapposed", (m) => (m.malapposed_strut_count === null ? (m.strut_count ? "no lumen" : "—") : String(m.malapposed_strut_count))],
  ["max_malapposition", "Max malapp.", (m) => (m.malapposed_strut_count ? fixed(m.max_malapposition_um, 0, "µm") : "—")],
];

/**
 * The live per-frame measurements (SPEC §5 frame metrics, computed in the browser as on the
 * reading page) of several documents side by side, for one frame. Without a pixel spacing there
 * is nothing to compare in mm: null (the page says "uncalibrated", never a guess).
 */
export function compareFrame(
  frames: ReadonlyArray<Readonly<FrameAnnotations> | undefined>,
  pixelSpacingMm: PixelSpacingMm | null,
  strutThresholdUm: number,
): ComparisonRow[] | null {
  if (!pixelSpacingMm) return null;
  const metrics = frames.map((f) => frameMetrics(f, pixelSpacingMm, strutThresholdUm));
  return ROWS.map(([key, label, text]) => {
    const values = metrics.map(text);
    return { key, label, values, differs: new Set(values).size > 1 };
  });
}

/** "40 → 310" for a document's stent edges, "—" without them. */
export function stentEdgesText(doc: Readonly<AnnotationDocument>): string {
  return doc.stent ? `${doc.stent.distal_frame + 1} → ${doc.stent.proximal_frame + 1}` : "—";
}

/** "120–205, 230–240" for a document's calcium segments, "—" without any. */
export function calciumSegmentsText(doc: Readonly<AnnotationDocument>): string {
  return doc.calcium_segments?.length ? doc.calcium_segments.map((s) => `${s.start_frame + 1}–${s.end_frame + 1}`).join(", ") : "—";
}
