import type { PullbackResponse } from "../api/client.js";
import { frameOf } from "../document/document.js";
import type { AnnotationDocument } from "../document/types.js";
import { analysisFrames } from "../geometry/analysisFrames.js";
import type { ToolName } from "../tools/toolSet.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { frameCompleteness } from "./completeness.js";
import { h } from "./dom.js";
import { FramePanel } from "./framePanel.js";
import type { MissingWork } from "./submitDialog.js";
import { firstStep, nextStep, stepCompleted, stepCounts, type StepCounts } from "./toolSequence.js";

/** What the guide drives on the reading page. */
export interface GuideHost {
  frame(): number;
  goTo(frame: number): void;
  step(delta: number): void;
  activeTool(): ToolName | null;
  selectTool(name: ToolName): void;
  readOnly(): boolean;
  flash(message: string): void;
}

/**
 * Per-frame guidance of the reading page: the analysis frames (SPEC §5) with their completeness
 * (SPEC §2), "next incomplete" (I), analysis-frame jumps ([ ]), and the tool sequence
 * lumen → struts → calcium arc → thickness that advances by itself (Enter skips a step).
 */
export class ReadingGuide {
  readonly panel: FramePanel;
  readonly sequenceToggle: HTMLElement;
  analysis: number[] = [];
  private readonly sequence: HTMLInputElement;
  private counts: StepCounts = { lumen: false, arcs: 0, calipers: 0 };

  constructor(
    private readonly pullback: PullbackResponse,
    private readonly boot: ViewerBootstrap,
    private readonly host: GuideHost,
  ) {
    this.panel = new FramePanel(
      pullback.frame_spacing_mm,
      (f) => host.goTo(f),
      (m) => host.flash(m),
    );
    this.sequence = h("input", { type: "checkbox", checked: true, "data-setting": "sequence" });
    this.sequenceToggle = h(
      "label",
      { class: "vw-check", title: "Lumen → struts → calcium arc → thickness; Enter skips a step" },
      this.sequence,
      " Next tool by itself (Enter skips)",
    );
  }

  analysisFramesFor(doc: Readonly<AnnotationDocument>, wholePullback: boolean): number[] {
    if (!this.pullback.frame_spacing_mm) return [];
    return analysisFrames({
      nFrames: this.pullback.n_frames,
      frameSpacingMm: this.pullback.frame_spacing_mm,
      stentDistalFrame: doc.stent?.distal_frame,
      stentProximalFrame: doc.stent?.proximal_frame,
      samplingIntervalMm: this.boot.sampling_interval_mm,
      referenceLengthMm: this.boot.reference_length_mm,
      wholePullback,
    });
  }

  /** Recomputes the analysis frames and their completeness; advances the sequence when a step finished. */
  documentChanged(doc: Readonly<AnnotationDocument>): void {
    this.analysis = this.analysisFramesFor(doc, this.boot.whole_pullback);
    this.panel.update(frameCompleteness(doc, this.analysis), this.stentEdgesMissing(doc));
    const frame = this.host.frame();
    if (frame < 0) return;
    const after = stepCounts(frameOf(doc, frame));
    const done = stepCompleted(this.host.activeTool(), this.counts, after);
    this.counts = after;
    if (done && this.sequence.checked && !this.host.readOnly()) this.advance(false);
  }

  frameChanged(doc: Readonly<AnnotationDocument>, frame: number): void {
    this.panel.setCurrent(frame);
    this.counts = stepCounts(frameOf(doc, frame));
  }

  /** Yes / no / null (no analysis frames yet) for the frame shown. */
  isAnalysis(frame: number): boolean | null {
    return this.analysis.length === 0 ? null : this.analysis.includes(frame);
  }

  /** The guide's keys: [ ] I and Enter (sequence). */
  key(key: string): boolean {
    if (key === "]" || key === "[") this.jump(key === "]" ? 1 : -1);
    else if (key === "i" || key === "I") this.panel.nextIncomplete();
    else if (key === "Enter" && this.sequence.checked && !this.host.readOnly()) this.advance(true);
    else return false;
    return true;
  }

  /** The next tool of the frame's sequence; after the last step, the next incomplete frame. */
  private advance(skipped: boolean): void {
    const row = this.panel.completeness.find((r) => r.frame === this.host.frame());
    const next = nextStep(this.host.activeTool(), row?.stented ?? false);
    if (next === null) return;
    if (next !== "next-frame") {
      this.host.selectTool(next);
      this.host.flash(`${skipped ? "Skipped" : "Done"}: next ${next.replace("-", " ")} (Enter skips).`);
    } else if (skipped) {
      this.panel.nextIncomplete();
      this.host.selectTool(firstStep(this.panel.completeness.find((r) => r.frame === this.host.frame())));
    } else this.host.flash("Frame done: Enter (or I) goes to the next incomplete frame.");
  }

  jump(direction: 1 | -1): void {
    const current = this.host.frame();
    if (this.analysis.length === 0) {
      // No stent edges yet: step by the sampling interval so the reader can still sample.
      const spacing = this.pullback.frame_spacing_mm;
      const step = spacing ? Math.max(1, Math.round(this.boot.sampling_interval_mm / spacing)) : 10;
      this.host.flash(`No analysis frames until the stent edges are set (E); stepping ${step} frames.`);
      this.host.step(direction * step);
      return;
    }
    const target = direction > 0 ? this.analysis.find((f) => f > current) : [...this.analysis].reverse().find((f) => f < current);
    if (target === undefined) this.host.flash(direction > 0 ? "No analysis frame after this one." : "No analysis frame before this one.");
    else this.host.goTo(target);
  }

  stentEdgesMissing(doc: Readonly<AnnotationDocument>): boolean {
    return !this.boot.whole_pullback && (doc.stent?.distal_frame == null || doc.stent?.proximal_frame == null);
  }

  /** What the read lacks against its own analysis frames (SPEC §2; the server checks again). */
  missingWork(doc: Readonly<AnnotationDocument>): MissingWork {
    const rows = this.panel.completeness;
    const edges = this.stentEdgesMissing(doc);
    return { frames: rows.filter((r) => !r.complete).map((r) => r.frame), stentEdgesMissing: edges, summary: this.panel.summaryText(edges) };
  }
}
