import type { AnnotationAdapter } from "../adapter/annotations.js";
import type { CoordinateAdapter } from "../adapter/coordinates.js";
import type { ApiClient } from "../api/client.js";
import { frameKey } from "../document/document.js";
import type { AnnotationDocument, FrameAnnotations } from "../document/types.js";
import type { PointPx } from "../geometry/types.js";
import type { ToolPointer } from "../tools/tool.js";
import { h } from "../ui/dom.js";
import { acceptAll, acceptIntoFrame, confidenceOf, isLowConfidence, type AutoProposalResponse } from "./proposal.js";

const PROPOSAL_COLOUR = "#d66bff"; // magenta, dashed: never mistaken for the reader's own contours
const LOW_CONFIDENCE_COLOUR = "#ff9f43";
const CANDIDATE_GRAB_SCREEN_PX = 7;
const POLL_MS = 3000;

export interface AutoAssistHost {
  readonly api: ApiClient;
  readonly pullbackId: number;
  readonly annotations: AnnotationAdapter;
  readonly coords: CoordinateAdapter;
  currentFrame(): number;
  /** The analysis frames a document gives (they depend on its stent edges). */
  analysisFramesFor(doc: AnnotationDocument): number[];
  requestRender(): void;
  notify(message: string): void;
  /** The adjudicator's view: an optional layer to look at (hidden at first), nothing to accept. */
  readonly displayOnly?: boolean;
}

/**
 * The automatic proposal in the reading viewer (SPEC §11): shown in its own style (dashed
 * magenta; orange with a warning where confidence is low) on every frame; `Y` accepts this
 * frame's proposal (lumen, and inside the stent its struts and stent contour); the panel's
 * button accepts it on every analysis frame at once; with the Struts tool active a click on a
 * proposed strut candidate accepts it. Accepted elements carry `source: "auto"`; editing them
 * afterwards makes them `auto_edited` (the annotation adapter does that).
 */
export class AutoAssist {
  readonly element: HTMLElement;
  proposal: AutoProposalResponse | null = null;
  private readonly statusText: HTMLElement;
  private readonly frameText: HTMLElement;
  private readonly acceptFrameButton: HTMLButtonElement;
  private readonly acceptAllButton: HTMLButtonElement;
  private readonly showInput: HTMLInputElement;
  private pollHandle: number | null = null;

  constructor(private readonly host: AutoAssistHost) {
    this.statusText = h("p", { class: "vw-auto-status", "data-auto": "status" }, "Proposal: loading…");
    this.frameText = h("p", { class: "vw-auto-frame", "data-auto": "frame", role: "status" });
    this.acceptFrameButton = h(
      "button",
      { type: "button", class: "vw-button", "data-auto": "accept-frame", title: "Accept this frame's proposal (Y)" },
      "Accept frame ",
      h("kbd", {}, "Y"),
    );
    this.acceptAllButton = h(
      "button",
      { type: "button", class: "vw-button vw-primary", "data-auto": "accept-all", title: "Accept the proposal on every analysis frame" },
      "Accept all analysis frames",
    );
    this.showInput = h("input", { type: "checkbox", checked: !host.displayOnly, "aria-label": "Show the proposal", "data-auto": "show" });
    this.acceptFrameButton.addEventListener("click", () => this.acceptFrame());
    this.acceptAllButton.addEventListener("click", () => this.acceptAllFrames());
    this.showInput.addEventListener("change", () => host.requestRender());
    this.element = h(
      "section",
      { class: "vw-auto", "aria-label": "Automatic proposal" },
      h("h2", {}, "Proposal"),
      this.statusText,
      this.frameText,
      ...(host.displayOnly ? [] : [h("div", { class: "vw-row" }, this.acceptFrameButton, this.acceptAllButton)]),
      h("label", { class: "vw-check" }, this.showInput, " show proposal"),
    );
    this.updateButtons();
  }

  /** Fetches the proposal, polling while the worker computes it. */
  async load(): Promise<void> {
    try {
      const body = await this.host.api.request<AutoProposalResponse>("GET", `/pullbacks/${this.host.pullbackId}/auto-annotations/`);
      this.proposal = body;
      if (body.status === "pending" || body.status === "running") {
        this.statusText.textContent = `Proposal: ${body.status === "pending" ? "waiting for the worker" : `computing, ${body.progress_pct} %`}…`;
        this.pollHandle = window.setTimeout(() => void this.load(), POLL_MS);
      } else if (body.status === "failed") {
        this.statusText.textContent = `Proposal failed: ${body.error || "no reason recorded"}. Draw the contours by hand.`;
      } else {
        const low = Object.values(body.confidence).filter((c) => c < body.low_confidence_threshold).length;
        this.statusText.textContent = `Proposal ready (${body.algorithm} ${body.algorithm_version})${low ? `; ${low} low-confidence frames to check` : ""}.`;
      }
    } catch (err) {
      this.statusText.textContent = `Proposal unavailable (${err instanceof Error ? err.message : String(err)}).`;
    }
    this.updateButtons();
    this.frameChanged();
    this.host.requestRender();
  }

  dispose(): void {
    if (this.pollHandle !== null) window.clearTimeout(this.pollHandle);
  }

  private proposedFrame(frame: number): Readonly<FrameAnnotations> | undefined {
    if (this.proposal?.status !== "done") return undefined;
    return this.proposal.annotations.frames[frameKey(frame)];
  }

  private inProposedOrReadStent(frame: number): boolean {
    const stent = this.host.annotations.document.stent ?? this.proposal?.annotations.stent;
    return !!stent && frame >= stent.distal_frame && frame <= stent.proximal_frame;
  }

  private updateButtons(): void {
    const ready = this.proposal?.status === "done" && !this.host.annotations.readOnly;
    this.acceptFrameButton.disabled = !ready;
    this.acceptAllButton.disabled = !ready;
  }

  /** Called by the viewer after a frame change. */
  frameChanged(): void {
    const frame = this.host.currentFrame();
    if (!this.proposal || this.proposal.status !== "done" || frame < 0) {
      this.frameText.textContent = "";
      return;
    }
    const c = confidenceOf(this.proposal, frame);
    const low = isLowConfidence(this.proposal, frame);
    this.frameText.textContent = low
      ? `Low confidence (${c.toFixed(2)}): check this frame carefully or draw the lumen by hand.`
      : `Confidence ${c.toFixed(2)}.`;
    this.frameText.dataset["low"] = String(low);
  }

  /** `Y`: accept this frame's proposal. */
  acceptFrame(): boolean {
    const frame = this.host.currentFrame();
    const proposed = this.proposedFrame(frame);
    if (!proposed || this.host.annotations.readOnly) {
      this.host.notify("No proposal on this frame.");
      return false;
    }
    const inStent = this.inProposedOrReadStent(frame);
    const done = this.host.annotations.applyFrame(frame, (entry) => {
      acceptIntoFrame(entry, proposed, { lumen: true, struts: inStent });
    });
    if (done && this.proposal && isLowConfidence(this.proposal, frame)) {
      this.host.notify("Accepted a low-confidence proposal: check it against the image.");
    }
    return done;
  }

  acceptAllFrames(): void {
    const proposal = this.proposal;
    if (!proposal || proposal.status !== "done" || this.host.annotations.readOnly) return;
    let summary = null as ReturnType<typeof acceptAll> | null;
    this.host.annotations.applyDocument((draft) => {
      summary = acceptAll(draft, proposal, (doc) => this.host.analysisFramesFor(doc));
    });
    if (!summary) return;
    const s: ReturnType<typeof acceptAll> = summary;
    const parts = [`Accepted the proposal on ${s.accepted.length} analysis frames`];
    if (s.stentEdgesTaken) parts.push("stent edges taken from the proposal");
    if (s.keptManual.length) parts.push(`${s.keptManual.length} hand-drawn frames kept`);
    if (s.needsManual.length) parts.push(`draw by hand: frames ${s.needsManual.join(", ")} (low confidence)`);
    this.host.notify(`${parts.join("; ")}.`);
    this.statusText.dataset["accepted"] = String(s.accepted.length);
    this.statusText.dataset["needsManual"] = s.needsManual.join(",");
  }

  /** Key handling before the tools; true when used. */
  onKeyDown(key: string): boolean {
    if (key === "y" || key === "Y") {
      this.acceptFrame();
      return true;
    }
    return false;
  }

  /**
   * A press with the Struts tool: on a proposed candidate not yet in the read, accept it
   * exactly where it was proposed. True when used.
   */
  onStrutPress(pointer: ToolPointer): boolean {
    const frame = this.host.currentFrame();
    const proposed = this.proposedFrame(frame)?.struts;
    if (!proposed || this.host.annotations.readOnly || !this.showInput.checked) return false;
    const mine = this.host.annotations.frame(frame)?.struts ?? [];
    for (const candidate of proposed) {
      const [sx, sy] = this.host.coords.imageToScreen(candidate);
      if (Math.hypot(sx - pointer.screen[0], sy - pointer.screen[1]) > CANDIDATE_GRAB_SCREEN_PX) continue;
      if (mine.some((p) => Math.hypot(p[0] - candidate[0], p[1] - candidate[1]) < 0.5)) return false;
      // a proposed candidate accepted as proposed: the struts stay "auto" unless the reader
      // had already changed them
      const source = this.host.annotations.frame(frame)?.source?.struts;
      return this.host.annotations.addStrut(frame, candidate, !mine.length || source === "auto" ? "auto" : "auto_edited");
    }
    return false;
  }

  /** Draws the proposal of the shown frame under the reader's own annotations. */
  render(g: CanvasRenderingContext2D): void {
    if (!this.showInput.checked) return;
    const frame = this.host.currentFrame();
    const proposed = this.proposedFrame(frame);
    if (!proposed || !this.proposal) return;
    const low = isLowConfidence(this.proposal, frame);
    const colour = low ? LOW_CONFIDENCE_COLOUR : PROPOSAL_COLOUR;
    const toScreen = (p: PointPx) => this.host.coords.imageToScreen(p);
    g.save();
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.lineWidth = 1;
    g.setLineDash([6, 4]);
    for (const contour of [proposed.lumen, proposed.stent]) {
      if (!contour || contour.length < 3) continue;
      g.beginPath();
      contour.forEach((p, i) => {
        const [x, y] = toScreen(p);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.closePath();
      g.stroke();
    }
    g.setLineDash([]);
    const mine = this.host.annotations.frame(frame)?.struts ?? [];
    for (const s of proposed.struts ?? []) {
      if (mine.some((p) => Math.hypot(p[0] - s[0], p[1] - s[1]) < 0.5)) continue;
      const [x, y] = toScreen(s);
      g.beginPath();
      g.arc(x, y, 4, 0, Math.PI * 2);
      g.stroke();
    }
    if (low && proposed.lumen?.length) {
      const [x, y] = toScreen(proposed.lumen[0]!);
      g.font = "12px system-ui, sans-serif";
      g.fillText("low confidence: check or draw by hand", x + 8, y);
    }
    g.restore();
  }
}
