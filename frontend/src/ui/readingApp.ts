import { AnnotationAdapter } from "../adapter/annotations.js";
import type { ViewportAdapter } from "../adapter/viewport.js";
import { ApiClient, ApiError, type PullbackResponse, type ReadResponse } from "../api/client.js";
import { AutoAssist } from "../auto/autoAssist.js";
import { Autosaver } from "../document/autosave.js";
import { documentFromServer, frameOf } from "../document/document.js";
import { DocumentStore } from "../document/store.js";
import { analysisFrames } from "../geometry/analysisFrames.js";
import { frameMetrics } from "../geometry/frameMetrics.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import { CalciumArcTool } from "../tools/CalciumArcTool.js";
import { CalciumSegmentTool } from "../tools/CalciumSegmentTool.js";
import { CalciumThicknessTool } from "../tools/CalciumThicknessTool.js";
import { StentEdgeTool } from "../tools/StentEdgeTool.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { createToolSet, TOOL_ENTRIES, type ToolName } from "../tools/toolSet.js";
import { FrameLoader } from "../viewer/frameLoader.js";
import { FrameViewer, isTypingTarget } from "../viewer/frameViewer.js";
import { LModeView } from "../viewer/lmodeView.js";
import { CanvasViewport } from "../viewer/viewport.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { h } from "./dom.js";
import { fixedOrDash, formatCalibration, framePositionMm, pixelSpacingText, saveStateText } from "./format.js";
import { HelpOverlay } from "./helpOverlay.js";
import { lumenAreaReadout, lumenAreaText } from "./readout.js";
import { StatusBar, type SaveTone } from "./statusBar.js";
import { SubmitDialog, type MissingWork } from "./submitDialog.js";
import { viewerStats } from "./stats.js";

/** Shows a readable failure in place of the viewer. */
export function renderFatal(root: HTMLElement, title: string, detail: string): void {
  root.replaceChildren(h("div", { class: "vw-fatal", role: "alert" }, h("h2", {}, title), h("p", {}, detail)));
}

function describeLoadError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404) return "This read or pullback was not found, or you have no access to it.";
    if (err.status === 401 || err.status === 403) return "Your session has expired or lacks access; sign in again.";
    return `${err.detail} (HTTP ${err.status || "—"})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Builds the cross-section viewport; the Cornerstone3D one is tried first (see README). */
export type ViewportFactory = (parent: HTMLElement, pullback: PullbackResponse, loader: FrameLoader) => Promise<ViewportAdapter>;

export const canvasViewportFactory: ViewportFactory = (parent, pullback, loader) =>
  Promise.resolve(new CanvasViewport(parent, pullback.columns, pullback.rows, loader));

/** Loads the read and its pullback, then mounts the reading viewer into `root`. */
export async function startReadingApp(
  root: HTMLElement,
  boot: ViewerBootstrap,
  viewportFactory: ViewportFactory = canvasViewportFactory,
): Promise<ReadingApp | null> {
  root.classList.add("vw-root");
  root.replaceChildren(h("p", { class: "vw-loading" }, "Loading read…"));
  const api = new ApiClient(boot.api_base, boot.csrf_token);
  let read: ReadResponse;
  let pullback: PullbackResponse;
  try {
    [read, pullback] = await Promise.all([api.getRead(boot.read_id), api.getPullback(boot.pullback_id)]);
  } catch (err) {
    renderFatal(root, "The viewer could not load this read", describeLoadError(err));
    return null;
  }
  if (read.pullback !== pullback.id) {
    renderFatal(root, "The viewer could not load this read", "The read does not belong to this pullback.");
    return null;
  }
  if (pullback.status === "failed" || pullback.status === "ingesting") {
    const detail =
      pullback.status === "failed"
        ? `Ingest failed: ${pullback.error ?? "no reason recorded"}`
        : "The pullback is still being ingested; reload this page in a moment.";
    renderFatal(root, "This pullback cannot be shown yet", detail);
    return null;
  }
  if (!(pullback.n_frames > 0 && pullback.rows > 0 && pullback.columns > 0)) {
    renderFatal(root, "This pullback cannot be shown", "It has no frames.");
    return null;
  }
  const app = new ReadingApp(root, boot, api, read, pullback);
  await app.mount(viewportFactory);
  return app;
}

const CINE_RATES = [5, 10, 15, 20, 30, 60];

/** The reading page: viewer, L-mode, tools, readouts, status bar, conflict handling, submit. */
export class ReadingApp {
  readonly store: DocumentStore;
  viewer!: FrameViewer;
  lmode!: LModeView;
  readonly loader: FrameLoader;
  private readonly autosaver: Autosaver;
  private tools!: Record<ToolName, Tool>;
  private activeTool: ToolName | null = null;
  private readonly status: StatusBar;
  private readonly help: HelpOverlay;
  private readonly submitDialog: SubmitDialog;
  private readonly conflictBanner: HTMLElement;
  private readonly readOnlyBanner: HTMLElement;
  private readonly toolButtons = new Map<ToolName | null, HTMLButtonElement>();
  private readonly stage: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly ticks: HTMLElement;
  private readonly counter: HTMLElement;
  private readonly readout: Record<string, HTMLElement> = {};
  private readonly strutList: HTMLOListElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly submitButton: HTMLButtonElement;
  private readonly playButton: HTMLButtonElement;
  private readonly rateSelect: HTMLSelectElement;
  private readonly brightnessInput: HTMLInputElement;
  private readonly contrastInput: HTMLInputElement;
  private readonly angleInput: HTMLInputElement;
  private readonly spacing: PixelSpacingMm | null;
  private analysis: number[] = [];
  /** The automatic proposal (SPEC §11): its own module; this page only wires it in. */
  auto: AutoAssist | null = null;
  private cine: { handle: number; last: number; carry: number } | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly boot: ViewerBootstrap,
    private readonly api: ApiClient,
    read: ReadResponse,
    private readonly pullback: PullbackResponse,
  ) {
    const readOnly = boot.read_only || read.status === "submitted";
    const ps = pullback.pixel_spacing_mm;
    this.spacing = ps && ps.length === 2 && ps.every((v) => Number.isFinite(v) && v > 0) ? [ps[0], ps[1]] : null;
    this.store = new DocumentStore(documentFromServer(read.annotations), read.version, { readOnly });
    this.autosaver = new Autosaver(this.store, (version, annotations) => this.api.saveAnnotations(boot.read_id, version, annotations));
    this.loader = new FrameLoader(boot.frame_url_template, pullback.n_frames, {
      batchUrlTemplate: boot.frames_batch_url_template,
      decodedCapacity: 48,
    });

    // Layout.
    this.readOnlyBanner = h(
      "div",
      { class: "vw-banner vw-banner-info", role: "status", hidden: true },
      "Read-only: this read is submitted or opened for viewing; annotations cannot be changed.",
    );
    this.conflictBanner = h("div", { class: "vw-banner vw-banner-warn", role: "alert", hidden: true });
    this.stage = h("section", { class: "vw-stage", "aria-label": "Frame viewer" });
    this.panel = h("aside", { class: "vw-panel", "aria-label": "Tools and measurements" });
    this.status = new StatusBar(() => this.help.toggle());
    this.help = new HelpOverlay();
    this.submitDialog = new SubmitDialog((password, incomplete) => this.submit(password, incomplete));
    root.replaceChildren(
      h("div", { class: "vw-banners" }, this.readOnlyBanner, this.conflictBanner),
      h("div", { class: "vw-main" }, this.stage, this.panel),
      this.status.element,
      this.help.element,
      this.submitDialog.element,
    );

    // Navigation bar: slider with analysis-frame ticks, counter, cine.
    this.slider = h("input", { type: "range", class: "vw-slider", min: 0, max: pullback.n_frames - 1, step: 1, value: 0, "aria-label": "Frame" });
    this.slider.addEventListener("input", () => this.viewer.goTo(Number(this.slider.value)));
    this.ticks = h("div", { class: "vw-ticks", "aria-hidden": "true", title: "Analysis frames (SPEC §5)" });
    this.counter = h("span", { class: "vw-counter", title: "0-based frame index, as in the annotation data" });
    this.playButton = h("button", { type: "button", class: "vw-button vw-dark", "aria-label": "Play cine", title: "Play / pause (P)" }, "▶");
    this.playButton.addEventListener("click", () => this.toggleCine());
    this.rateSelect = h("select", { class: "vw-rate", "aria-label": "Cine rate (frames per second)" });
    for (const rate of CINE_RATES) this.rateSelect.append(h("option", { value: rate, selected: rate === 15 }, `${rate} fps`));
    const prevAnalysis = h("button", { type: "button", class: "vw-button vw-dark", title: "Previous analysis frame ([)", "aria-label": "Previous analysis frame" }, "⇤");
    const nextAnalysis = h("button", { type: "button", class: "vw-button vw-dark", title: "Next analysis frame (])", "aria-label": "Next analysis frame" }, "⇥");
    prevAnalysis.addEventListener("click", () => this.jumpAnalysis(-1));
    nextAnalysis.addEventListener("click", () => this.jumpAnalysis(1));
    const sliderBox = h("div", { class: "vw-sliderbox" }, this.slider, this.ticks);
    this.stage.append(h("div", { class: "vw-navbar" }, prevAnalysis, this.playButton, nextAnalysis, this.rateSelect, sliderBox, this.counter));

    // Side panel.
    const toolGroup = h("div", { class: "vw-toolgroup", role: "group", "aria-label": "Annotation tools" });
    for (const [name, label, key] of TOOL_ENTRIES) {
      const button = h(
        "button",
        { type: "button", class: "vw-button vw-tool", "aria-pressed": "false", "aria-keyshortcuts": key, "data-tool": name ?? "navigate", title: `${label} (${key})` },
        `${label} `,
        h("kbd", {}, key),
      );
      button.addEventListener("click", () => this.selectTool(name));
      this.toolButtons.set(name, button);
      toolGroup.append(button);
    }
    this.undoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Undo", title: "Undo (Ctrl+Z)" }, "↶ Undo");
    this.redoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Redo", title: "Redo (Ctrl+Shift+Z)" }, "↷ Redo");
    this.undoButton.addEventListener("click", () => this.store.undo());
    this.redoButton.addEventListener("click", () => this.store.redo());
    this.submitButton = h("button", { type: "button", class: "vw-button vw-primary vw-submit-button" }, "Submit read…");
    this.submitButton.addEventListener("click", () => void this.openSubmit());

    const row = (label: string, key: string, title?: string) => {
      const dd = h("dd", { "data-readout": key });
      this.readout[key] = dd;
      return [h("dt", title ? { title } : {}, label), dd];
    };
    this.strutList = h("ol", { class: "vw-struts", "aria-label": "Struts on this frame" });
    const readoutList = h(
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
      ...row("Malapposed", "malapposed", `Distance > ${boot.strut_threshold_um} µm (study strut threshold)`),
      ...row("Stent edges", "stent_edges"),
      ...row("Calcium segments", "calcium_segments"),
    );
    const calibration = h(
      "dl",
      { class: "vw-readout" },
      h("dt", {}, "Pixel spacing"),
      h("dd", { "data-readout": "pixel_spacing" }, pixelSpacingText(pullback.pixel_spacing_mm)),
      h("dt", {}, "Frame spacing"),
      h("dd", { "data-readout": "frame_spacing" }, pullback.frame_spacing_mm ? `${formatCalibration(pullback.frame_spacing_mm)} mm` : "unknown"),
      h("dt", {}, "Calibration source"),
      h("dd", {}, pullback.calibration_source || "—"),
      h("dt", {}, "Strut threshold"),
      h("dd", {}, `${formatCalibration(boot.strut_threshold_um)} µm`),
    );

    this.brightnessInput = this.rangeInput("Brightness", 0.2, 3, 0.05, 1, () => this.applyImageAdjustments());
    this.contrastInput = this.rangeInput("Contrast", 0.2, 3, 0.05, 1, () => this.applyImageAdjustments());
    this.angleInput = this.rangeInput("L-mode angle", 0, 355, 5, 0, () => {
      this.lmode.setAngle(Number(this.angleInput.value));
      this.viewer.viewport.requestRender();
    });
    const zoomIn = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
    const zoomOut = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−");
    const reset = h("button", { type: "button", class: "vw-button", "aria-label": "Reset view", title: "Reset view (R)" }, "Reset");
    zoomIn.addEventListener("click", () => this.viewer.zoomIn());
    zoomOut.addEventListener("click", () => this.viewer.zoomOut());
    reset.addEventListener("click", () => this.resetView());

    this.panel.append(
      h("h2", {}, "Tools"),
      toolGroup,
      h("div", { class: "vw-row" }, this.undoButton, this.redoButton),
      h("h2", {}, "Measurements (this frame)"),
      readoutList,
      this.strutList,
      h("h2", {}, "Image"),
      h("label", { class: "vw-range" }, "Brightness", this.brightnessInput),
      h("label", { class: "vw-range" }, "Contrast", this.contrastInput),
      h("label", { class: "vw-range" }, "L-mode angle", this.angleInput),
      h("div", { class: "vw-row" }, zoomOut, zoomIn, reset),
      h("h2", {}, "Calibration"),
      calibration,
      h("h2", {}, "Read"),
      this.submitButton,
    );
  }

  /** Creates the viewport (async: Cornerstone initialises WebGL), wires everything, shows frame 0. */
  async mount(factory: ViewportFactory): Promise<void> {
    const view = h("div", { class: "vw-views" });
    this.stage.prepend(view);
    // Frame 0 downloads and decodes while the viewport library starts.
    this.loader.get(0).catch(() => undefined);
    let viewport: ViewportAdapter;
    try {
      viewport = await factory(view, this.pullback, this.loader);
    } catch (err) {
      console.warn("viewer: falling back to the canvas viewport:", err);
      viewport = await canvasViewportFactory(view, this.pullback, this.loader);
    }
    const stats = viewerStats();
    stats.viewport = viewport.kind;
    viewport.onFramePainted = (frame) => stats.painted(frame);
    this.loader.onProgress = (loaded, total, failed) => {
      this.status.setProgress(loaded, total, failed);
      stats.progress(loaded, total);
      if (loaded >= total && viewport.warmUp) {
        void viewport.warmUp(() => this.viewer.frame).then(() => stats.decoded());
      }
    };
    this.loader.onFrameCached = () => this.lmode?.frameCached();
    this.viewer = new FrameViewer(viewport, this.loader, {
      onPress: (press) =>
        (this.activeTool === "struts" && !!this.auto?.onStrutPress(press)) || (this.currentTool()?.onPointerDown(press) ?? false),
      onHover: (hover) => this.currentTool()?.onPointerMove(hover),
      onRelease: () => this.currentTool()?.onPointerUp(),
      onFrameChange: (frame) => this.frameChanged(frame),
    });
    viewport.drawOverlay = (g) => {
      if (this.viewer.frame < 0) return;
      const frame = frameOf(this.store.document, this.viewer.frame);
      this.drawLModeLine(g);
      this.auto?.render(g);
      for (const tool of Object.values(this.tools)) tool.render(g, frame);
      this.drawStrutLabels(g);
    };
    this.lmode = new LModeView(view, this.loader, this.pullback.columns, this.pullback.rows, {
      urlTemplate: this.boot.lmode_url_template,
      onPick: (frame) => {
        if (!this.currentTool()?.onFramePick(frame)) this.viewer.goTo(frame);
        this.updateLModeMarks();
      },
    });

    const context: ToolContext = {
      coords: viewport,
      annotations: new AnnotationAdapter(this.store),
      currentFrame: () => this.viewer.frame,
      requestRender: () => {
        viewport.requestRender();
        this.updateLModeMarks();
        this.updateDraftReadout();
      },
      notify: (message) => this.status.flash(message),
      pixelSpacingMm: this.spacing,
      frameCount: this.pullback.n_frames,
    };
    this.tools = createToolSet(context);
    this.auto = new AutoAssist({
      api: this.api,
      pullbackId: this.pullback.id,
      annotations: context.annotations,
      coords: viewport,
      currentFrame: () => this.viewer.frame,
      analysisFramesFor: (doc) =>
        this.pullback.frame_spacing_mm
          ? analysisFrames({
              nFrames: this.pullback.n_frames,
              frameSpacingMm: this.pullback.frame_spacing_mm,
              stentDistalFrame: doc.stent?.distal_frame,
              stentProximalFrame: doc.stent?.proximal_frame,
              samplingIntervalMm: this.boot.sampling_interval_mm,
              referenceLengthMm: this.boot.reference_length_mm,
            })
          : [],
      requestRender: () => viewport.requestRender(),
      notify: (message) => this.status.flash(message, 8000),
    });
    this.panel.prepend(this.auto.element);

    this.store.subscribe((event) => {
      if (event.type === "document") {
        viewport.requestRender();
        this.documentChanged();
      }
      this.updateSaveState();
    });
    window.addEventListener("keydown", (ev) => this.onKeyDown(ev));
    window.addEventListener("beforeunload", (ev) => {
      if (this.store.dirty || this.autosaver.pending) {
        ev.preventDefault();
        ev.returnValue = "";
      }
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") void this.autosaver.flush();
    });

    this.applyReadOnly();
    this.selectTool(this.store.readOnly ? null : "lumen");
    this.updateSaveState();
    this.status.setProgress(0, this.pullback.n_frames, 0);
    this.documentChanged();
    // The first frame is requested by goTo before the background prefetch queues the rest.
    this.viewer.goTo(0);
    // Frame 0 goes first and alone (first paint sooner; its request also warms the server's
    // frame grant), then the background prefetch and the L-mode image.
    const afterFirst = () => {
      this.loader.startPrefetch();
      this.lmode.setAngle(Number(this.angleInput.value));
    };
    this.loader.get(0).then(afterFirst, afterFirst);
    void this.auto.load();
    stats.expose({
      goTo: (n: number) => this.viewer.goTo(n),
      frame: () => this.viewer.frame,
      frameCount: this.pullback.n_frames,
      imageToScreen: (x: number, y: number) => viewport.imageToScreen([x, y]),
    });
  }

  private rangeInput(label: string, min: number, max: number, step: number, value: number, onInput: () => void): HTMLInputElement {
    const input = h("input", { type: "range", min, max, step, value, "aria-label": label });
    input.addEventListener("input", onInput);
    return input;
  }

  private applyImageAdjustments(): void {
    this.viewer.viewport.setBrightnessContrast(Number(this.brightnessInput.value), Number(this.contrastInput.value));
  }

  private resetView(): void {
    this.viewer.resetView();
    this.brightnessInput.value = "1";
    this.contrastInput.value = "1";
    this.applyImageAdjustments();
  }

  private currentTool(): Tool | null {
    return this.activeTool ? this.tools[this.activeTool] : null;
  }

  selectTool(name: ToolName | null): void {
    const chosen = this.store.readOnly ? null : name;
    this.activeTool = chosen;
    for (const [toolName, tool] of Object.entries(this.tools)) tool.setMode(toolName === chosen ? "active" : "passive");
    for (const [toolName, button] of this.toolButtons) {
      button.setAttribute("aria-pressed", String(toolName === chosen));
      button.disabled = this.store.readOnly && toolName !== null;
    }
    this.viewer.viewport.overlayCanvas.dataset["tool"] = chosen ?? "navigate";
    this.updateLModeMarks();
  }

  private applyReadOnly(): void {
    const readOnly = this.store.readOnly;
    this.readOnlyBanner.hidden = !readOnly;
    this.root.classList.toggle("is-read-only", readOnly);
    this.submitButton.disabled = readOnly;
    this.submitButton.textContent = readOnly ? "Submitted (read-only)" : "Submit read…";
    if (readOnly) this.selectTool(null);
  }

  private frameChanged(frame: number): void {
    for (const tool of Object.values(this.tools)) tool.onFrameChange();
    this.slider.value = String(frame);
    const position = framePositionMm(frame, this.pullback.frame_spacing_mm);
    const positionText = position === null ? "—" : `${position.toFixed(2)} mm`;
    this.counter.textContent = `frame ${frame} / ${this.pullback.n_frames} · ${positionText}`;
    this.slider.setAttribute("aria-valuetext", `frame ${frame} of ${this.pullback.n_frames}, ${positionText}`);
    this.readout["frame"]!.textContent = `${frame} / ${this.pullback.n_frames}`;
    this.readout["position"]!.textContent = positionText;
    this.lmode?.setCursor(frame);
    this.auto?.frameChanged();
    this.updateReadout();
    if (this.store.dirty) void this.autosaver.flush();
  }

  private documentChanged(): void {
    const doc = this.store.document;
    this.analysis = this.pullback.frame_spacing_mm
      ? analysisFrames({
          nFrames: this.pullback.n_frames,
          frameSpacingMm: this.pullback.frame_spacing_mm,
          stentDistalFrame: doc.stent?.distal_frame,
          stentProximalFrame: doc.stent?.proximal_frame,
          samplingIntervalMm: this.boot.sampling_interval_mm,
          referenceLengthMm: this.boot.reference_length_mm,
          wholePullback: this.boot.whole_pullback,
        })
      : [];
    const n = Math.max(1, this.pullback.n_frames - 1);
    this.ticks.replaceChildren(...this.analysis.map((f) => h("span", { class: "vw-tick", style: `left: ${(f / n) * 100}%` })));
    this.readout["stent_edges"]!.textContent = doc.stent ? `${doc.stent.distal_frame} → ${doc.stent.proximal_frame}` : "—";
    this.readout["calcium_segments"]!.textContent = doc.calcium_segments?.length
      ? doc.calcium_segments.map((s) => `${s.start_frame}–${s.end_frame}`).join(", ")
      : "—";
    this.updateLModeMarks();
    this.updateReadout();
  }

  private updateLModeMarks(): void {
    if (!this.lmode || !this.tools) return;
    const pending: Array<{ frame: number; label: string }> = [];
    const edge = (this.tools["stent-edges"] as StentEdgeTool).pendingFrame;
    const seg = (this.tools["calcium-segments"] as CalciumSegmentTool).pendingFrame;
    if (edge !== null) pending.push({ frame: edge, label: "stent" });
    if (seg !== null) pending.push({ frame: seg, label: "calcium" });
    this.lmode.setMarks(this.store.document, this.analysis, pending);
  }

  private updateReadout(): void {
    if (!this.viewer || this.viewer.frame < 0) return;
    const frameIndex = this.viewer.frame;
    const frame = frameOf(this.store.document, frameIndex);
    const r = this.readout;
    r["analysis"]!.textContent = this.analysis.length === 0 ? "— (set stent edges)" : this.analysis.includes(frameIndex) ? "yes" : "no";
    const area = lumenAreaReadout(frame?.lumen, this.pullback.pixel_spacing_mm);
    r["lumen_area"]!.textContent = lumenAreaText(area);
    r["lumen_area"]!.dataset["kind"] = area.kind;
    this.strutList.replaceChildren();
    if (!this.spacing) {
      for (const key of ["lumen_diameters", "stent_area", "calcium_arc", "calcium_thickness", "malapposed"]) r[key]!.textContent = "uncalibrated";
      r["struts"]!.textContent = String(frame?.struts?.length ?? 0);
      return;
    }
    const m = frameMetrics(frame, this.spacing, this.boot.strut_threshold_um);
    r["lumen_diameters"]!.textContent =
      m.lumen_min_diameter_mm === null ? "—" : `${m.lumen_min_diameter_mm.toFixed(2)} / ${fixedOrDash(m.lumen_max_diameter_mm, 2, "mm")}`;
    r["stent_area"]!.textContent = fixedOrDash(m.stent_area_mm2, 2, "mm²");
    r["calcium_arc"]!.textContent = fixedOrDash(m.calcium_arc_deg, 1, "°");
    r["calcium_thickness"]!.textContent = fixedOrDash(m.calcium_thickness_mm, 2, "mm");
    r["struts"]!.textContent = String(m.strut_count);
    r["malapposed"]!.textContent =
      m.malapposed_strut_count === null
        ? m.strut_count > 0
          ? "needs a lumen contour"
          : "—"
        : `${m.malapposed_strut_count}${m.malapposed_strut_count ? ` · max ${fixedOrDash(m.max_malapposition_um, 0, "µm")}` : ""}`;
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
    this.updateDraftReadout();
  }

  /** Live degrees / mm of an open calcium arc or caliper, in the status message line. */
  private updateDraftReadout(): void {
    if (!this.tools) return;
    const arc = (this.tools["calcium-arc"] as CalciumArcTool).draftDeg;
    const caliper = (this.tools["calcium-thickness"] as CalciumThicknessTool).draftMm;
    const text = arc !== null ? `arc ${arc.toFixed(1)}°` : caliper !== null ? `thickness ${caliper.toFixed(2)} mm` : "";
    this.readout["frame"]!.dataset["draft"] = text;
    if (text) this.status.live(text);
    else this.status.live("");
  }

  /** Each strut's malapposition (µm) next to it on the image, red when malapposed. */
  private drawStrutLabels(g: CanvasRenderingContext2D): void {
    if (!this.spacing || this.viewer.frame < 0) return;
    const frame = frameOf(this.store.document, this.viewer.frame);
    if (!frame?.struts?.length) return;
    const m = frameMetrics(frame, this.spacing, this.boot.strut_threshold_um);
    if (!m.struts) return;
    g.save();
    g.font = "11px system-ui, sans-serif";
    m.struts.forEach((s, i) => {
      const [x, y] = this.viewer.viewport.imageToScreen(frame.struts![i]!);
      if (s.distanceUm === null) return;
      g.fillStyle = s.malapposed ? "#ff4d4d" : "#b8f5c8";
      g.fillText(`${s.distanceUm.toFixed(0)}`, x + 6, y - 6);
    });
    g.restore();
  }

  /** The L-mode line through the image centre, so the reader sees where the L-mode cuts. */
  private drawLModeLine(g: CanvasRenderingContext2D): void {
    if (!this.lmode) return;
    const theta = (this.lmode.angle * Math.PI) / 180;
    const cx = (this.pullback.columns - 1) / 2;
    const cy = (this.pullback.rows - 1) / 2;
    const r = Math.min(this.pullback.rows, this.pullback.columns) / 2;
    const [ax, ay] = this.viewer.viewport.imageToScreen([cx + r * Math.cos(theta), cy + r * Math.sin(theta)]);
    const [bx, by] = this.viewer.viewport.imageToScreen([cx - r * Math.cos(theta), cy - r * Math.sin(theta)]);
    g.save();
    g.strokeStyle = "rgba(255, 210, 77, 0.35)";
    g.setLineDash([2, 6]);
    g.beginPath();
    g.moveTo(ax, ay);
    g.lineTo(bx, by);
    g.stroke();
    g.restore();
  }

  private jumpAnalysis(direction: 1 | -1): void {
    const current = this.viewer.frame;
    if (this.analysis.length === 0) {
      // No stent edges yet: step by the sampling interval so the reader can still sample.
      const spacing = this.pullback.frame_spacing_mm;
      const step = spacing ? Math.max(1, Math.round(this.boot.sampling_interval_mm / spacing)) : 10;
      this.status.flash(`No analysis frames until the stent edges are set (E); stepping ${step} frames.`);
      this.viewer.step(direction * step);
      return;
    }
    const target = direction > 0 ? this.analysis.find((f) => f > current) : [...this.analysis].reverse().find((f) => f < current);
    if (target === undefined) this.status.flash(direction > 0 ? "No analysis frame after this one." : "No analysis frame before this one.");
    else this.viewer.goTo(target);
  }

  private toggleCine(): void {
    if (this.cine) {
      cancelAnimationFrame(this.cine.handle);
      this.cine = null;
      this.playButton.textContent = "▶";
      this.playButton.setAttribute("aria-label", "Play cine");
      return;
    }
    const tick = (now: number) => {
      if (!this.cine) return;
      const rate = Number(this.rateSelect.value) || 15;
      this.cine.carry += ((now - this.cine.last) / 1000) * rate;
      this.cine.last = now;
      const steps = Math.floor(this.cine.carry);
      if (steps > 0) {
        this.cine.carry -= steps;
        const next = this.viewer.frame + steps;
        this.viewer.goTo(next >= this.viewer.frameCount ? 0 : next);
      }
      this.cine.handle = requestAnimationFrame(tick);
    };
    this.cine = { handle: requestAnimationFrame(tick), last: performance.now(), carry: 0 };
    this.playButton.textContent = "❚❚";
    this.playButton.setAttribute("aria-label", "Pause cine");
  }

  private async openSubmit(): Promise<void> {
    if (this.store.readOnly) return;
    for (const tool of Object.values(this.tools)) tool.cancelDraft();
    await this.autosaver.flush();
    if (this.store.inConflict || this.store.dirty) {
      this.status.flash("Save your changes first (resolve the conflict or the save error above).");
      return;
    }
    this.submitDialog.open(this.missingWork());
  }

  /** What the read lacks against its own analysis frames (SPEC §2; the server checks again). */
  private missingWork(): MissingWork {
    const doc = this.store.document;
    const distal = doc.stent?.distal_frame;
    const proximal = doc.stent?.proximal_frame;
    const frames = this.analysis.filter((f) => {
      const frame = doc.frames[String(f)];
      if (!frame?.lumen || frame.lumen.length < 3) return true;
      const inside = distal != null && proximal != null && distal <= f && f <= proximal;
      return inside && !(frame.struts?.length || (frame.stent && frame.stent.length >= 3));
    });
    return { frames, stentEdgesMissing: !this.boot.whole_pullback && (distal == null || proximal == null) };
  }

  private async submit(password: string, incomplete?: { reason: string }): Promise<void> {
    await this.autosaver.flush();
    if (this.store.dirty) throw new Error("Your latest changes are not saved yet; try again in a moment.");
    await this.api.submitRead(this.boot.read_id, password, incomplete);
    this.store.setReadOnly(true);
    this.applyReadOnly();
    this.status.flash("Read submitted. It is now read-only.");
  }

  private updateSaveState(): void {
    const state = this.store.saveState;
    const tone: SaveTone = state.kind === "saved" ? "ok" : state.kind === "saving" ? "busy" : state.kind === "unsaved" ? "pending" : "error";
    this.status.setSave(saveStateText(state, this.store.version, this.store.readOnly), tone);
    this.undoButton.disabled = !this.store.canUndo;
    this.redoButton.disabled = !this.store.canRedo;
    this.renderConflict();
  }

  private renderConflict(): void {
    const state = this.store.saveState;
    if (state.kind !== "conflict") {
      this.conflictBanner.hidden = true;
      this.conflictBanner.replaceChildren();
      return;
    }
    if (!this.conflictBanner.hidden) return;
    const keep = h("button", { type: "button", class: "vw-button vw-primary" }, "Keep mine (overwrite with my version)");
    const load = h("button", { type: "button", class: "vw-button" }, "Load the saved version (discard mine)");
    keep.addEventListener("click", () => void this.keepMine(state.serverVersion));
    load.addEventListener("click", () => void this.loadSaved());
    this.conflictBanner.replaceChildren(
      h(
        "p",
        {},
        h("strong", {}, "Someone or another tab saved this read"),
        state.serverVersion === null ? "." : ` (now version ${state.serverVersion}).`,
        " Your changes are still here and have not been saved. Choose:",
      ),
      h("div", { class: "vw-row" }, keep, load),
    );
    this.conflictBanner.hidden = false;
  }

  private async keepMine(serverVersion: number | null): Promise<void> {
    try {
      const read = await this.api.getRead(this.boot.read_id);
      if (read.status === "submitted") {
        this.store.setReadOnly(true);
        this.applyReadOnly();
        this.status.flash("This read was submitted meanwhile; it cannot be changed.");
        return;
      }
      this.store.keepMine(serverVersion ?? read.version);
      await this.autosaver.flush();
    } catch (err) {
      this.status.flash(`Could not resolve the conflict: ${describeLoadError(err)}`);
    }
  }

  private async loadSaved(): Promise<void> {
    try {
      const read = await this.api.getRead(this.boot.read_id);
      for (const tool of Object.values(this.tools)) tool.cancelDraft();
      this.store.load(documentFromServer(read.annotations), read.version);
      if (read.status === "submitted" && !this.store.readOnly) {
        this.store.setReadOnly(true);
        this.applyReadOnly();
      }
      this.status.flash(`Loaded the saved version (v${read.version}).`);
    } catch (err) {
      this.status.flash(`Could not load the saved version: ${describeLoadError(err)}`);
    }
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.altKey || this.submitDialog.isOpen) return;
    if (this.help.isOpen) {
      if (ev.key === "Escape" || ev.key === "?") {
        ev.preventDefault();
        this.help.close();
      }
      return;
    }
    if (isTypingTarget(ev.target)) return;
    const mod = ev.ctrlKey || ev.metaKey;
    const key = ev.key;
    if (mod) {
      const lower = key.toLowerCase();
      if (lower === "z" && !ev.shiftKey) this.store.undo();
      else if ((lower === "z" && ev.shiftKey) || lower === "y") this.store.redo();
      else if (key === "+" || key === "=") this.viewer.zoomIn();
      else if (key === "-") this.viewer.zoomOut();
      else return;
      ev.preventDefault();
      return;
    }
    // Enter/Space on a focused button is that button's click, not a tool command.
    if (ev.target instanceof HTMLButtonElement && (key === "Enter" || key === " ")) return;
    if (ev.target instanceof HTMLSelectElement) return;
    if (this.currentTool()?.onKeyDown(key)) {
      ev.preventDefault();
      return;
    }
    const onSlider = ev.target === this.slider;
    if (this.auto?.onKeyDown(key)) {
      ev.preventDefault();
      return;
    }
    const toolKey = TOOL_ENTRIES.find(([, , k]) => k.toLowerCase() === key.toLowerCase());
    if (toolKey) {
      this.selectTool(toolKey[0]);
      ev.preventDefault();
      return;
    }
    switch (key) {
      case "ArrowRight":
      case "ArrowDown":
        if (onSlider) return;
        this.viewer.step(1);
        break;
      case "ArrowLeft":
      case "ArrowUp":
        if (onSlider) return;
        this.viewer.step(-1);
        break;
      case "PageDown":
        if (onSlider) return;
        this.viewer.step(10);
        break;
      case "PageUp":
        if (onSlider) return;
        this.viewer.step(-10);
        break;
      case "Home":
        if (onSlider) return;
        this.viewer.goTo(0);
        break;
      case "End":
        if (onSlider) return;
        this.viewer.goTo(this.viewer.frameCount - 1);
        break;
      case "]":
        this.jumpAnalysis(1);
        break;
      case "[":
        this.jumpAnalysis(-1);
        break;
      case "p":
      case "P":
        this.toggleCine();
        break;
      case "+":
      case "=":
        this.viewer.zoomIn();
        break;
      case "-":
      case "_":
        this.viewer.zoomOut();
        break;
      case "r":
      case "R":
        this.resetView();
        break;
      case "?":
        this.help.open();
        break;
      default:
        return;
    }
    ev.preventDefault();
  }
}
