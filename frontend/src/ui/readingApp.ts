import { AnnotationAdapter } from "../adapter/annotations.js";
import type { ApiClient, PullbackResponse, ReadResponse } from "../api/client.js";
import { AutoAssist } from "../auto/autoAssist.js";
import { Autosaver } from "../document/autosave.js";
import { documentFromServer, frameOf } from "../document/document.js";
import { DocumentStore } from "../document/store.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import type { CalciumArcTool } from "../tools/CalciumArcTool.js";
import type { CalciumThicknessTool } from "../tools/CalciumThicknessTool.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { createToolSet, type ToolName } from "../tools/toolSet.js";
import { FrameLoader } from "../viewer/frameLoader.js";
import { FrameViewer } from "../viewer/frameViewer.js";
import { LModeView } from "../viewer/lmodeView.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { ConflictBanner } from "./conflictBanner.js";
import { h } from "./dom.js";
import { saveStateText } from "./format.js";
import { HelpOverlay } from "./helpOverlay.js";
import { ReadoutPanel } from "./readoutPanel.js";
import * as shell from "./shell.js";
import { StatusBar, type SaveTone } from "./statusBar.js";
import { ReadingGuide } from "./readingGuide.js";
import { ReadSubmission } from "./readSubmission.js";
import { viewerStats } from "./stats.js";

/** The one answer for a read or pullback that is missing or hidden (no hint which). */
export const NOT_FOUND = "This read or pullback was not found, or you have no access to it.";

/** The reading page: viewer, L-mode, tools, frame list, readouts, status line, conflicts, submit. */
export class ReadingApp {
  readonly store: DocumentStore;
  viewer!: FrameViewer;
  lmode!: LModeView;
  readonly loader: FrameLoader;
  /** The automatic proposal (SPEC §11): its own module; this page only wires it in. */
  auto: AutoAssist | null = null;
  private readonly autosaver: Autosaver;
  private tools!: Record<ToolName, Tool>;
  private activeTool: ToolName | null = null;
  private readonly status: StatusBar;
  private readonly help: HelpOverlay;
  private readonly submission: ReadSubmission;
  private readonly conflict: ConflictBanner;
  private readonly readOnlyBanner: HTMLElement;
  private readonly toolButtons: shell.ToolButtons;
  private readonly stage: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly nav: shell.NavBar;
  private readonly readout: ReadoutPanel;
  private readonly guide: ReadingGuide;
  private readonly image: shell.ImageControls;
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly spacing: PixelSpacingMm | null;

  constructor(
    private readonly root: HTMLElement,
    private readonly boot: ViewerBootstrap,
    private readonly api: ApiClient,
    read: ReadResponse,
    private readonly pullback: PullbackResponse,
  ) {
    const readOnly = boot.read_only || read.status === "submitted";
    this.spacing = shell.pixelSpacingOf(pullback);
    this.store = new DocumentStore(documentFromServer(read.annotations), read.version, { readOnly });
    this.autosaver = new Autosaver(this.store, (version, annotations) => this.api.saveAnnotations(boot.read_id, version, annotations));
    // `?frames=main` keeps downloads and decodes on the page's thread (comparison, benchmark).
    const onMain = new URLSearchParams(window.location.search).get("frames") === "main";
    this.loader = new FrameLoader(boot.frame_url_template, pullback.n_frames, {
      batchUrlTemplate: boot.frames_batch_url_template,
      batchSize: boot.frames_batch_size,
      decodedCapacity: 48,
      ...(onMain ? { worker: null } : {}),
    });

    this.readOnlyBanner = h(
      "div",
      { class: "vw-banner vw-banner-info", role: "status", hidden: true },
      "Read-only: this read is submitted or opened for viewing; annotations cannot be changed.",
    );
    this.conflict = new ConflictBanner(this.store, api, boot.read_id, {
      flush: () => this.autosaver.flush(),
      cancelDrafts: () => Object.values(this.tools).forEach((tool) => tool.cancelDraft()),
      becameReadOnly: () => this.becomeReadOnly(),
      flash: (m) => this.status.flash(m),
      describe: (err) => shell.describeLoadError(err, NOT_FOUND),
    });
    this.stage = h("section", { class: "vw-stage", "aria-label": "Frame viewer" });
    this.panel = h("aside", { class: "vw-panel", "aria-label": "Tools and measurements" });
    this.status = new StatusBar(() => this.help.toggle());
    this.help = new HelpOverlay();
    this.submission = new ReadSubmission(this.store, this.autosaver, api, boot.read_id, {
      cancelDrafts: () => Object.values(this.tools).forEach((tool) => tool.cancelDraft()),
      missingWork: (doc) => this.guide.missingWork(doc),
      flash: (m) => this.status.flash(m),
      submitted: () => this.becomeReadOnly(),
    });
    this.guide = new ReadingGuide(pullback, boot, {
      frame: () => this.viewer?.frame ?? -1,
      goTo: (f) => this.viewer.goTo(f),
      step: (d) => this.viewer.step(d),
      activeTool: () => this.activeTool,
      selectTool: (name) => this.selectTool(name),
      readOnly: () => this.store.readOnly,
      flash: (m) => this.status.flash(m),
    });
    root.replaceChildren(
      h("div", { class: "vw-banners" }, this.readOnlyBanner, this.conflict.element),
      h("div", { class: "vw-main" }, this.guide.panel.element, this.stage, this.panel),
      this.status.element,
      this.help.element,
      this.submission.dialog.element,
    );

    const target = { frame: () => this.viewer.frame, frameCount: () => this.viewer.frameCount, goTo: (f: number) => this.viewer.goTo(f) };
    this.nav = new shell.NavBar(target, pullback, { cine: true, jump: (d) => this.guide.jump(d) });
    this.stage.append(this.nav.element);

    this.toolButtons = new shell.ToolButtons("Annotation tools", (name) => this.selectTool(name));
    [this.undoButton, this.redoButton] = shell.undoRedoButtons(
      () => this.store.undo(),
      () => this.store.redo(),
    );
    this.readout = new ReadoutPanel(pullback.pixel_spacing_mm, this.spacing, boot.strut_threshold_um);
    this.image = new shell.ImageControls({
      adjust: (b, c) => this.viewer.viewport.setBrightnessContrast(b, c),
      angle: (deg) => {
        this.lmode.setAngle(deg);
        this.viewer.viewport.requestRender();
      },
      zoom: (d) => (d > 0 ? this.viewer.zoomIn() : this.viewer.zoomOut()),
      resetView: () => this.viewer.resetView(),
    });
    this.panel.append(
      h("h2", {}, "Tools"),
      this.toolButtons.element,
      this.guide.sequenceToggle,
      h("div", { class: "vw-row" }, this.undoButton, this.redoButton, this.submission.button),
      ...this.readout.elements,
      ...this.image.elements,
      ...shell.calibrationList(pullback, boot.strut_threshold_um),
    );
  }

  /** Creates the viewport (async: Cornerstone initialises WebGL), wires everything, shows frame 0. */
  async mount(factory: shell.ViewportFactory): Promise<void> {
    const view = h("div", { class: "vw-views" });
    this.stage.prepend(view);
    // The L-mode takes its place (below the cross-section, CSS order) before the viewport is
    // created, so the viewport starts at its final size: no resize and second first render of
    // Cornerstone's frame in the task after it mounts.
    this.lmode = new LModeView(view, this.loader, this.pullback.columns, this.pullback.rows, {
      urlTemplate: this.boot.lmode_url_template,
      onPick: (frame) => {
        if (!this.tools) return; // not mounted yet
        if (!this.currentTool()?.onFramePick(frame)) this.viewer.goTo(frame);
        this.updateLModeMarks();
      },
    });
    // Frame 0 downloads and decodes while the viewport library starts (and is shown meanwhile);
    // the whole pullback downloads (in the frame worker) once frame 0 is in (the page's poster:
    // first paint sooner; its request also warms the server's frame grant); the L-mode image
    // comes alongside. Waiting for the viewport first put its start-up (~0.5–1 s cold on 2
    // cores, Cornerstone) before every download.
    const stats = viewerStats();
    shell.bindLoaderProgress(this.loader, this.status);
    this.status.setProgress(0, this.pullback.n_frames, 0);
    // No look-ahead decodes before the viewport is known: Cornerstone keeps its own cache.
    this.loader.decodeAheadEnabled = false;
    this.loader.onFrameCached = () => this.lmode?.frameCached();
    const afterFirst = () => {
      this.loader.startPrefetch();
      this.lmode.setAngle(Number(this.image.angle.value));
    };
    this.loader.get(0).then(afterFirst, afterFirst);
    const viewport = await shell.createViewport(factory, view, this.pullback, this.loader, { interim: true });
    stats.viewport = `${viewport.kind}, frames: ${this.loader.decoderKind}`;
    if (!viewport.warmUp) this.loader.decodeAheadEnabled = true;
    this.viewer = new FrameViewer(viewport, this.loader, {
      onPress: (press) => (this.activeTool === "struts" && !!this.auto?.onStrutPress(press)) || (this.currentTool()?.onPointerDown(press) ?? false),
      onHover: (hover) => this.currentTool()?.onPointerMove(hover),
      onRelease: () => this.currentTool()?.onPointerUp(),
      onFrameChange: (frame) => this.frameChanged(frame),
    });
    viewport.drawOverlay = (g) => {
      if (this.viewer.frame < 0) return;
      const frame = frameOf(this.store.document, this.viewer.frame);
      shell.drawLModeLine(g, viewport, this.pullback, this.lmode.angle);
      this.auto?.render(g);
      for (const tool of Object.values(this.tools)) tool.render(g, frame);
      shell.drawStrutLabels(g, viewport, frame, this.spacing, this.boot.strut_threshold_um, new shell.LabelPlacer());
    };
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
      analysisFramesFor: (doc) => this.guide.analysisFramesFor(doc, false),
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
    window.addEventListener("keydown", (ev) => shell.handleViewerKey(ev, this.keyHooks()));
    this.submission.guardUnsaved();

    this.applyReadOnly();
    this.selectTool(this.store.readOnly ? null : "lumen");
    this.updateSaveState();
    this.documentChanged();
    this.viewer.goTo(0);
    // A viewport with its own decoded-image cache (Cornerstone) fills it once every frame's bytes
    // are in: now, if they came while it started, else when the last arrives.
    const warmUp = viewport.warmUp?.bind(viewport);
    if (warmUp) void this.loader.complete.then(() => warmUp(() => this.viewer.frame)).then(() => stats.decoded());
    void this.auto.load();
    stats.expose({
      goTo: (n: number) => this.viewer.goTo(n),
      frame: () => this.viewer.frame,
      frameCount: this.pullback.n_frames,
      imageToScreen: (x: number, y: number) => viewport.imageToScreen([x, y]),
    });
  }

  private keyHooks(): shell.KeyHooks {
    return {
      help: this.help,
      slider: this.nav.slider,
      ownsKey: () => !this.submission.isOpen,
      undo: () => this.store.undo(),
      redo: () => this.store.redo(),
      zoom: (d) => (d > 0 ? this.viewer.zoomIn() : this.viewer.zoomOut()),
      resetView: () => this.resetView(),
      step: (d) => this.viewer.step(d),
      goTo: (f) => this.viewer.goTo(f),
      lastFrame: () => this.viewer.frameCount - 1,
      pageKey: (key) => this.pageKey(key),
    };
  }

  private pageKey(key: string): boolean {
    if (this.currentTool()?.onKeyDown(key) || this.auto?.onKeyDown(key)) return true;
    const tool = shell.toolForKey(key);
    if (tool) this.selectTool(tool[0]);
    else if (key === "p" || key === "P") this.nav.toggleCine();
    else return this.guide.key(key);
    return true;
  }

  private resetView(): void {
    this.viewer.resetView();
    this.image.reset();
  }

  private currentTool(): Tool | null {
    return this.activeTool ? this.tools[this.activeTool] : null;
  }

  selectTool(name: ToolName | null): void {
    const chosen = this.store.readOnly ? null : name;
    this.activeTool = chosen;
    this.toolButtons.show(this.tools, chosen, !this.store.readOnly);
    this.viewer.viewport.overlayCanvas.dataset["tool"] = chosen ?? "navigate";
    this.updateLModeMarks();
  }

  private becomeReadOnly(): void {
    this.store.setReadOnly(true);
    this.applyReadOnly();
  }

  private applyReadOnly(): void {
    const readOnly = this.store.readOnly;
    this.readOnlyBanner.hidden = !readOnly;
    this.root.classList.toggle("is-read-only", readOnly);
    this.submission.showReadOnly(readOnly);
    if (readOnly) this.selectTool(null);
  }

  private frameChanged(frame: number): void {
    for (const tool of Object.values(this.tools)) tool.onFrameChange();
    this.nav.show(frame);
    const label = shell.frameLabel(frame, this.pullback.n_frames, this.pullback.frame_spacing_mm);
    this.readout.showFrame(frame, this.pullback.n_frames, label.text.split(" · ")[1] ?? "—", this.guide.isAnalysis(frame));
    this.guide.frameChanged(this.store.document, frame);
    this.lmode?.setCursor(frame);
    this.auto?.frameChanged();
    this.updateReadout();
    if (this.store.dirty) void this.autosaver.flush();
  }

  private documentChanged(): void {
    const doc = this.store.document;
    this.guide.documentChanged(doc);
    this.nav.setTicks(this.guide.analysis);
    this.readout.showDocument(doc);
    this.updateLModeMarks();
    this.updateReadout();
  }

  private updateLModeMarks(): void {
    if (!this.lmode || !this.tools) return;
    this.lmode.setMarks(this.store.document, this.guide.analysis, shell.pendingMarks(this.tools));
  }

  private updateReadout(): void {
    if (!this.viewer || this.viewer.frame < 0) return;
    this.readout.showMeasurements(frameOf(this.store.document, this.viewer.frame));
    this.updateDraftReadout();
  }

  /** Live degrees / mm of an open calcium arc or caliper, in the status line. */
  private updateDraftReadout(): void {
    if (!this.tools) return;
    const arc = (this.tools["calcium-arc"] as CalciumArcTool).draftDeg;
    const caliper = (this.tools["calcium-thickness"] as CalciumThicknessTool).draftMm;
    const text = arc !== null ? `arc ${arc.toFixed(1)}°` : caliper !== null ? `thickness ${caliper.toFixed(2)} mm` : "";
    this.readout.draft = text;
    this.status.live(text);
  }

  private updateSaveState(): void {
    const state = this.store.saveState;
    const tone: SaveTone = state.kind === "saved" ? "ok" : state.kind === "saving" ? "busy" : state.kind === "unsaved" ? "pending" : "error";
    this.status.setSave(saveStateText(state, this.store.version, this.store.readOnly), tone);
    this.undoButton.disabled = !this.store.canUndo;
    this.redoButton.disabled = !this.store.canRedo;
    this.conflict.render();
  }
}
