import type { AnnotationDocument, FrameAnnotations } from "../document/types.js";
import { frameMetrics } from "../geometry/frameMetrics.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import { h } from "./dom.js";
import { fixedOrDash } from "./format.js";
import { lumenAreaReadout, lumenAreaText } from "./readout.js";

/** The reading page's live measurements of the frame shown (SPEC §5 definitions). */
export class ReadoutPanel {
  readonly elements: HTMLElement[];
  private readonly readout: Record<string, HTMLElement> = {};
  private readonly strutList: HTMLOListElement;

  constructor(
    private readonly pixelSpacing: readonly number[] | null,
    private readonly spacing: PixelSpacingMm | null,
    private readonly strutThresholdUm: number,
  ) {
    const row = (label: string, key: string, title?: string) => {
      const dd = h("dd", { "data-readout": key });
      this.readout[key] = dd;
      return [h("dt", title ? { title } : {}, label), dd];
    };
    this.strutList = h("ol", { class: "vw-struts", "aria-label": "Struts on this frame" });
    const list = h(
      "dl",
      { class: "vw-readout" },
      ...row("Frame", "frame"),
      ...row("Position", "position"),
      ...row("Analysis frame", "analysis"),
      ...row("Lumen area", "lumen_area"),
      ...row("Lumen ⌀ min / max", "lumen_diameters"),
      ...row("Stent area", "stent_area", "Stent contour, else the struts ordered by angle (SPEC §5)"),
      ...row("Calcium arc", "calcium_arc"),
      ...row("Calcium thickness", "calcium_thickness"),
      ...row("Struts", "struts"),
      ...row("Malapposed", "malapposed", `Distance > ${strutThresholdUm} µm (study strut threshold)`),
      ...row("Stent edges", "stent_edges"),
      ...row("Calcium segments", "calcium_segments"),
    );
    this.elements = [h("h2", {}, "Measurements (this frame)"), list, this.strutList];
  }

  /** Frame and position (1-based frame, as the counter). */
  showFrame(frame: number, nFrames: number, positionText: string, analysis: boolean | null): void {
    this.readout["frame"]!.textContent = `${frame + 1} / ${nFrames}`;
    this.readout["position"]!.textContent = positionText;
    this.readout["analysis"]!.textContent = analysis === null ? "— (set stent edges)" : analysis ? "yes" : "no";
  }

  showDocument(doc: Readonly<AnnotationDocument>): void {
    this.readout["stent_edges"]!.textContent = doc.stent ? `${doc.stent.distal_frame + 1} → ${doc.stent.proximal_frame + 1}` : "—";
    this.readout["calcium_segments"]!.textContent = doc.calcium_segments?.length
      ? doc.calcium_segments.map((s) => `${s.start_frame + 1}–${s.end_frame + 1}`).join(", ")
      : "—";
  }

  showMeasurements(frame: FrameAnnotations | undefined): void {
    const r = this.readout;
    const area = lumenAreaReadout(frame?.lumen, this.pixelSpacing);
    r["lumen_area"]!.textContent = lumenAreaText(area);
    r["lumen_area"]!.dataset["kind"] = area.kind;
    this.strutList.replaceChildren();
    if (!this.spacing) {
      for (const key of ["lumen_diameters", "stent_area", "calcium_arc", "calcium_thickness", "malapposed"]) r[key]!.textContent = "uncalibrated";
      r["struts"]!.textContent = String(frame?.struts?.length ?? 0);
      return;
    }
    const m = frameMetrics(frame, this.spacing, this.strutThresholdUm);
    r["lumen_diameters"]!.textContent =
      m.lumen_min_diameter_mm === null ? "—" : `${m.lumen_min_diameter_mm.toFixed(2)} / ${fixedOrDash(m.lumen_max_diameter_mm, 2, "mm")}`;
    r["stent_area"]!.textContent = fixedOrDash(m.stent_area_mm2, 2, "mm²");
    r["calcium_arc"]!.textContent = fixedOrDash(m.calcium_arc_deg, 1, "°");
    r["calcium_thickness"]!.textContent = fixedOrDash(m.calcium_thickness_mm, 2, "mm");
    r["struts"]!.textContent = String(m.strut_count);
    const max = m.malapposed_strut_count ? ` · max ${fixedOrDash(m.max_malapposition_um, 0, "µm")}` : "";
    r["malapposed"]!.textContent =
      m.malapposed_strut_count === null ? (m.strut_count > 0 ? "needs a lumen contour" : "—") : `${m.malapposed_strut_count}${max}`;
    for (const [i, s] of (m.struts ?? []).entries()) {
      this.strutList.append(
        h(
          "li",
          { class: s.malapposed ? "is-malapposed" : "", "data-strut": i },
          `#${i + 1} `,
          h("span", {}, fixedOrDash(s.distanceUm, 0, "µm")),
          s.malapposed ? h("strong", {}, " malapposed") : " apposed",
        ),
      );
    }
  }

  /** The live degrees / mm of an open arc or caliper ("" when none). */
  set draft(text: string) {
    this.readout["frame"]!.dataset["draft"] = text;
  }
}
