import { AnnotationAdapter } from "../adapter/annotations.js";
import type { CoordinateAdapter } from "../adapter/coordinates.js";
import type { ViewportAdapter } from "../adapter/viewport.js";
import { ApiClient, ApiError, type AdjudicationResponse, type PullbackResponse } from "../api/client.js";
import { emptyDocument, frameOf } from "../document/document.js";
import { DocumentStore } from "../document/store.js";
import type { AnnotationDocument } from "../document/types.js";
import { frameMetrics } from "../geometry/frameMetrics.js";
import type { PixelSpacingMm, PointPx } from "../geometry/types.js";
import type { CalciumSegmentTool } from "../tools/CalciumSegmentTool.js";
import type { StentEdgeTool } from "../tools/StentEdgeTool.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { createToolSet, TOOL_ENTRIES, type ToolName } from "../tools/toolSet.js";
import { overlayText } from "../tools/overlayText.js";
import { h } from "../ui/dom.js";
import { formatCalibration, framePositionMm, pixelSpacingText } from "../ui/format.js";
import { HelpOverlay } from "../ui/helpOverlay.js";
import { canvasViewportFactory, renderFatal, type ViewportFactory } from "../ui/readingApp.js";
import { StatusBar } from "../ui/statusBar.js";
import { viewerStats } from "../ui/stats.js";
import { FrameLoader } from "../viewer/frameLoader.js";
import { FrameViewer, isTypingTarget } from "../viewer/frameViewer.js";
import { LModeView } from "../viewer/lmodeView.js";
import type { AdjudicationBootstrap } from "./bootstrap.js";
import { calciumSegmentsText, compareFrame, stentEdgesText } from "./frameComparison.js";
import { documentsByLayer, LAYER_IDS, LAYER_SPECS, layerLabel, paneLayers, type LayerId } from "./layers.js";
import { annotatedFrames, isEmptyDocument, OwnDraftKeeper, startOwnDocument, type DraftStorage, type OwnOrigin } from "./ownDocument.js";

export type Layout = "overlay" | "side-by-side";

export const ADJUDICATION_SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ["Wheel, ← → ↑ ↓", "previous / next frame"],
  ["Page Up / Page Down", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Frame links on the page", "jump to the frame that drives a flag"],
  ["Click on the L-mode", "go to that frame (edge and segment tools: mark it)"],
  ["1 / 2 / 3", "show / hide Reader 1 / Reader 2 / my annotation"],
  ["V", "overlay ⇄ side by side"],
  ["Ctrl + wheel, + / −", "zoom in / out"],
  ["Middle-drag, Space + drag", "pan"],
  ["R", "reset zoom, pan, brightness and contrast"],
  ["N", "navigate only (no tool)"],
  ["L / T", "my annotation: lumen / stent contour (click points; Enter, double-click or first point closes)"],
  ["S", "my annotation: struts (click to add, click a strut to remove it)"],
  ["A / K", "my annotation: calcium arc (two edges, clockwise) / thickness caliper"],
  ["E / G", "my annotation: stent edges / calcium segment (L-mode, or Enter for this frame)"],
  ["Escape, Backspace, Delete", "cancel the drawing, remove the last point, remove this frame's item"],
  ["Ctrl + Z / Ctrl + Shift + Z", "undo / redo (my annotation)"],
  ["?", "show / hide this help"],
];

/** What the page (the decision form) needs from the viewer. */
export interface OwnAnnotationHost {
  /** The adjudicator's own document, or null when none was started. */
  ownDocument(): AnnotationDocument | null;
  /** Called whenever the own document changes (started, edited, discarded). */
  onOwnChange: (() => void) | null;
}

interface Layer {
  readonly id: LayerId;
  readonly store: DocumentStore;
  readonly tools: Record<ToolName, Tool>;
}

interface Pane {
  readonly element: HTMLElement;
  readonly caption: HTMLElement;
  readonly viewport: ViewportAdapter;
  readonly viewer: FrameViewer;
  layers: LayerId[];
}

/**
 * Image ⇄ screen of whichever pane is being drawn or touched: the tools of a layer keep one
 * context while the layer appears in one pane (overlay) or another (side by side).
 */
class PaneCoordinates implements CoordinateAdapter {
  target: ViewportAdapter | null = null;

  screenToImage(p: readonly [number, number]): [number, number] {
    return this.target ? this.target.screenToImage(p) : [Number.NaN, Number.NaN];
  }

  imageToScreen(p: PointPx): [number, number] {
    return this.target ? this.target.imageToScreen(p) : [Number.NaN, Number.NaN];
  }

  containsImagePoint(p: PointPx): boolean {
    return this.target ? this.target.containsImagePoint(p) : false;
  }
}

function describeLoadError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404) return "This adjudication was not found, or you have no access to it.";
    if (err.status === 401 || err.status === 403) return "Your session has expired or lacks access; sign in again.";
    return `${err.detail} (HTTP ${err.status || "—"})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Loads the adjudication (both blinded reads) and its pullback, then mounts the viewer into `root`. */
export async function startAdjudicationViewer(
  root: HTMLElement,
  boot: AdjudicationBootstrap,
  viewportFactory: ViewportFactory = canvasViewportFactory,
  storage: DraftStorage | null = null,
): Promise<AdjudicationViewer | null> {
  root.classList.add("vw-root", "ad-root");
  root.replaceChildren(h("p", { class: "vw-loading" }, "Loading both reads…"));
  const api = new ApiClient(boot.api_base, boot.csrf_token);
  let adjudication: AdjudicationResponse;
  let pullback: PullbackResponse;
  try {
    [adjudication, pullback] = await Promise.all([api.getAdjudication(boot.adjudication_id), api.getPullback(boot.pullback_id)]);
  } catch (err) {
    renderFatal(root, "The viewer could not load this adjudication", describeLoadError(err));
    return null;
  }
  if (adjudication.pullback !== pullback.id) {
    renderFatal(root, "The viewer could not load this adjudication", "The adjudication does not belong to this pullback.");
    return null;
  }
  if (!(pullback.n_frames > 0 && pullback.rows > 0 && pullback.columns > 0)) {
    renderFatal(root, "This pullback cannot be shown", "It has no frames.");
    return null;
  }
  const viewer = new AdjudicationViewer(root, boot, adjudication, pullback, storage);
  await viewer.mount(viewportFactory);
  return viewer;
}

/**
 * The adjudicator's viewer: Reader 1's and Reader 2's documents (read-only) drawn on the same
 * frame in their layer colours, as an overlay or side by side; the L-mode with every layer's
 * stent edges and calcium segments; and "my own annotation", a third document started from a
 * copy of either reader (or empty) and edited with the reading page's tools. The own document is
 * kept in sessionStorage (no server draft exists) and handed to the decision form on submit.
 */
export class AdjudicationViewer implements OwnAnnotationHost {
  readonly loader: FrameLoader;
  readonly readOnly: boolean;
  onOwnChange: (() => void) | null = null;
  private readonly resolved: boolean;
  private readonly layers: Record<LayerId, Layer>;
  private readonly coords = new PaneCoordinates();
  private readonly keeper: OwnDraftKeeper;
  private ownOrigin: OwnOrigin | null = null;
  private pendingReplace: OwnOrigin | null = null;
  private readonly visible = new Set<LayerId>(["reader1", "reader2"]);
  private layout: Layout = "overlay";
  private panes: Pane[] = [];
  private readonly pool: Array<{ element: HTMLElement; caption: HTMLElement; viewport: ViewportAdapter; viewer: FrameViewer }> = [];
  private factory: ViewportFactory = canvasViewportFactory;
  private arranging: Promise<void> = Promise.resolve();
  private lmode!: LModeView;
  private current = -1;
  private activeTool: ToolName | null = null;
  private brightness = 1;
  private contrast = 1;
  private readonly spacing: PixelSpacingMm | null;
  private readonly status: StatusBar;
  private readonly help: HelpOverlay;
  private readonly banner: HTMLElement;
  private readonly panesBox: HTMLElement;
  private readonly views: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly counter: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly layerInputs = new Map<LayerId, HTMLInputElement>();
  private readonly layoutButtons = new Map<Layout, HTMLButtonElement>();
  private readonly toolButtons = new Map<ToolName | null, HTMLButtonElement>();
  private readonly startButtons = new Map<OwnOrigin, HTMLButtonElement>();
  private readonly ownState: HTMLElement;
  private readonly ownTools: HTMLElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly discardButton: HTMLButtonElement;
  private readonly comparison: HTMLElement;
  private readonly longitudinal: HTMLElement;
  private readonly angleInput: HTMLInputElement;

  constructor(
    readonly root: HTMLElement,
    private readonly boot: AdjudicationBootstrap,
    adjudication: AdjudicationResponse,
    private readonly pullback: PullbackResponse,
    storage: DraftStorage | null,
  ) {
    this.resolved = adjudication.status !== "open";
    this.readOnly = boot.read_only || this.resolved;
    const ps = pullback.pixel_spacing_mm;
    this.spacing = ps && ps.length === 2 && ps.every((v) => Number.isFinite(v) && v > 0) ? [ps[0], ps[1]] : null;
    this.loader = new FrameLoader(boot.frame_url_template, pullback.n_frames, { batchUrlTemplate: boot.frames_batch_url_template, decodedCapacity: 64 });
    this.keeper = new OwnDraftKeeper(boot.adjudication_id, storage);

    // Documents: the readers' are read-only copies; the own one is editable while open.
    const docs = documentsByLayer(adjudication.reads);
    let ownDoc: AnnotationDocument = emptyDocument();
    if (this.resolved) {
      // Signed: nothing is kept in the browser any more; the stored adjudicator read (if any) shows.
      this.keeper.clear();
      if (docs.own) {
        ownDoc = docs.own;
        this.ownOrigin = "empty";
      }
    } else {
      const draft = this.keeper.load();
      if (draft) {
        ownDoc = draft.annotations;
        this.ownOrigin = draft.origin;
      }
    }
    if (this.ownOrigin !== null) this.visible.add("own");
    const stores: Record<LayerId, DocumentStore> = {
      reader1: new DocumentStore(docs.reader1 ?? emptyDocument(), 0, { readOnly: true }),
      reader2: new DocumentStore(docs.reader2 ?? emptyDocument(), 0, { readOnly: true }),
      own: new DocumentStore(ownDoc, 0, { readOnly: this.readOnly }),
    };
    const layer = (id: LayerId): Layer => {
      const context: ToolContext = {
        coords: this.coords,
        annotations: new AnnotationAdapter(stores[id]),
        currentFrame: () => this.current,
        requestRender: () => this.requestRender(),
        notify: (message) => this.status.flash(message),
        pixelSpacingMm: this.spacing,
        frameCount: pullback.n_frames,
        layerStyle: LAYER_SPECS[id],
      };
      return { id, store: stores[id], tools: createToolSet(context) };
    };
    this.layers = { reader1: layer("reader1"), reader2: layer("reader2"), own: layer("own") };

    // Layout.
    this.banner = h(
      "div",
      { class: "vw-banner vw-banner-info", role: "status" },
      this.readOnly
        ? this.resolved
          ? "Resolved: read-only. Reader 1, Reader 2 and, when one was signed, the adjudicator's own annotation are shown."
          : "Read-only view."
        : "The readers' annotations are read-only. To resolve a group with your own measurements, start “My annotation” (copy of a reader or empty) and edit it with the tools.",
    );
    this.status = new StatusBar(() => this.help.toggle());
    this.help = new HelpOverlay(
      ADJUDICATION_SHORTCUTS,
      "Reader 1 is orange (solid lines), Reader 2 sky blue (dashed), your own annotation reddish purple (dotted). Thick contour = lumen, thin = stent.",
    );
    this.panesBox = h("div", { class: "ad-panes", "data-layout": this.layout });
    this.views = h("div", { class: "vw-views" }, this.panesBox);
    const stage = h("section", { class: "vw-stage", "aria-label": "Frame viewer" }, this.views);
    this.panel = h("aside", { class: "vw-panel", "aria-label": "Layers, my annotation and measurements" });
    root.replaceChildren(h("div", { class: "vw-banners" }, this.banner), h("div", { class: "vw-main" }, stage, this.panel), this.status.element, this.help.element);

    this.slider = h("input", { type: "range", class: "vw-slider", min: 0, max: pullback.n_frames - 1, step: 1, value: 0, "aria-label": "Frame" });
    this.slider.addEventListener("input", () => this.goTo(Number(this.slider.value)));
    this.counter = h("span", { class: "vw-counter", "data-readout": "frame" });
    stage.append(h("div", { class: "vw-navbar" }, this.slider, this.counter));

    // Panel: legend with visibility, layout, own annotation, measurements, image.
    this.legend = h("ul", { class: "ad-legend", "aria-label": "Layers" });
    for (const id of LAYER_IDS) {
      const spec = LAYER_SPECS[id];
      const input = h("input", { type: "checkbox", "data-layer": id, checked: this.visible.has(id) });
      input.addEventListener("change", () => this.setVisible(id, input.checked));
      this.layerInputs.set(id, input);
      this.legend.append(
        h(
          "li",
          { "data-layer": id },
          h("label", {}, input, h("span", { class: `ad-swatch ad-swatch-${id}`, "aria-hidden": "true" }), ` ${layerLabel(id, this.resolved)} `, h("kbd", {}, spec.key)),
        ),
      );
    }
    const layoutGroup = h("div", { class: "vw-row ad-layout", role: "group", "aria-label": "Layout" });
    for (const [value, label] of [
      ["overlay", "Overlay"],
      ["side-by-side", "Side by side"],
    ] as const) {
      const button = h("button", { type: "button", class: "vw-button", "data-layout": value, "aria-pressed": String(value === this.layout), title: "Overlay ⇄ side by side (V)" }, label);
      button.addEventListener("click", () => this.setLayout(value));
      this.layoutButtons.set(value, button);
      layoutGroup.append(button);
    }

    this.ownState = h("p", { class: "ad-own-state", "data-readout": "own" });
    const startRow = h("div", { class: "vw-row ad-start" });
    for (const [origin, label] of [
      ["reader1", "Copy Reader 1"],
      ["reader2", "Copy Reader 2"],
      ["empty", "Start empty"],
    ] as const) {
      const button = h("button", { type: "button", class: "vw-button", "data-start": origin }, label);
      button.addEventListener("click", () => this.startOwn(origin));
      this.startButtons.set(origin, button);
      startRow.append(button);
    }
    this.ownTools = h("div", { class: "vw-toolgroup", role: "group", "aria-label": "Tools for my annotation" });
    for (const [name, label, key] of TOOL_ENTRIES) {
      const button = h(
        "button",
        { type: "button", class: "vw-button vw-tool", "aria-pressed": "false", "aria-keyshortcuts": key, "data-tool": name ?? "navigate", title: `${label} (${key})` },
        `${label} `,
        h("kbd", {}, key),
      );
      button.addEventListener("click", () => this.selectTool(name));
      this.toolButtons.set(name, button);
      this.ownTools.append(button);
    }
    this.undoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Undo", title: "Undo (Ctrl+Z)" }, "↶ Undo");
    this.redoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Redo", title: "Redo (Ctrl+Shift+Z)" }, "↷ Redo");
    this.discardButton = h("button", { type: "button", class: "vw-button", "data-action": "discard" }, "Discard mine");
    this.undoButton.addEventListener("click", () => this.layers.own.store.undo());
    this.redoButton.addEventListener("click", () => this.layers.own.store.redo());
    this.discardButton.addEventListener("click", () => this.discardOwn());

    this.comparison = h("div", { class: "ad-compare", "aria-live": "off" });
    this.longitudinal = h("dl", { class: "vw-readout ad-longitudinal" });
    this.angleInput = h("input", { type: "range", min: 0, max: 355, step: 5, value: 0, "aria-label": "L-mode angle" });
    this.angleInput.addEventListener("input", () => {
      this.lmode.setAngle(Number(this.angleInput.value));
      this.requestRender();
    });
    const brightness = h("input", { type: "range", min: 0.2, max: 3, step: 0.05, value: 1, "aria-label": "Brightness" });
    const contrast = h("input", { type: "range", min: 0.2, max: 3, step: 0.05, value: 1, "aria-label": "Contrast" });
    const adjust = () => {
      this.brightness = Number(brightness.value);
      this.contrast = Number(contrast.value);
      for (const p of this.panes) p.viewport.setBrightnessContrast(this.brightness, this.contrast);
    };
    brightness.addEventListener("input", adjust);
    contrast.addEventListener("input", adjust);
    const reset = h("button", { type: "button", class: "vw-button", title: "Reset view (R)" }, "Reset view");
    reset.addEventListener("click", () => {
      brightness.value = "1";
      contrast.value = "1";
      adjust();
      for (const p of this.panes) p.viewer.resetView();
    });

    this.panel.append(h("h2", {}, "Layers"), this.legend, layoutGroup);
    if (!this.readOnly) {
      this.panel.append(
        h("h2", {}, "My annotation"),
        this.ownState,
        startRow,
        this.ownTools,
        h("div", { class: "vw-row" }, this.undoButton, this.redoButton, this.discardButton),
      );
    }
    this.panel.append(
      h("h2", {}, "This frame"),
      this.comparison,
      h("h2", {}, "Pullback"),
      this.longitudinal,
      h("h2", {}, "Image"),
      h("label", { class: "vw-range" }, "Brightness", brightness),
      h("label", { class: "vw-range" }, "Contrast", contrast),
      h("label", { class: "vw-range" }, "L-mode angle", this.angleInput),
      h("div", { class: "vw-row" }, reset),
      h("h2", {}, "Calibration"),
      h(
        "dl",
        { class: "vw-readout" },
        h("dt", {}, "Pixel spacing"),
        h("dd", { "data-readout": "pixel_spacing" }, pixelSpacingText(pullback.pixel_spacing_mm)),
        h("dt", {}, "Frame spacing"),
        h("dd", {}, pullback.frame_spacing_mm ? `${formatCalibration(pullback.frame_spacing_mm)} mm` : "unknown"),
        h("dt", {}, "Strut threshold"),
        h("dd", {}, `${formatCalibration(boot.strut_threshold_um)} µm`),
      ),
    );
  }

  /** The frame shown (0-based), −1 before the first. */
  get frame(): number {
    return this.current;
  }

  get currentLayout(): Layout {
    return this.layout;
  }

  get paneCount(): number {
    return this.panes.length;
  }

  ownDocument(): AnnotationDocument | null {
    return this.ownOrigin === null ? null : this.layers.own.store.document;
  }

  /** Creates the first viewport, wires input, shows frame 0, then prefetches. */
  async mount(factory: ViewportFactory): Promise<void> {
    this.factory = factory;
    this.loader.get(0).catch(() => undefined);
    this.lmode = new LModeView(this.views, this.loader, this.pullback.columns, this.pullback.rows, {
      urlTemplate: this.boot.lmode_url_template,
      onPick: (frame) => {
        if (!this.currentTool()?.onFramePick(frame)) this.goTo(frame);
        this.refreshLMode();
      },
    });
    const stats = viewerStats();
    this.loader.onProgress = (loaded, total, failed) => {
      this.status.setProgress(loaded, total, failed);
      stats.progress(loaded, total);
    };
    this.loader.onFrameCached = () => this.lmode.frameCached();
    for (const layer of Object.values(this.layers)) {
      layer.store.subscribe((event) => {
        if (event.type === "document") this.documentChanged(layer.id);
        this.updateOwnControls();
      });
    }
    window.addEventListener("keydown", (ev) => this.onKeyDown(ev));
    await this.arrange();
    stats.viewport = this.panes[0]?.viewport.kind ?? "";
    this.applyOwnState();
    this.documentChanged(null);
    this.goTo(0);
    const afterFirst = () => {
      this.loader.startPrefetch();
      this.lmode.setAngle(Number(this.angleInput.value));
    };
    this.loader.get(0).then(afterFirst, afterFirst);
    const handle = {
      goTo: (n: number) => this.goTo(n),
      frame: () => this.current,
      frameCount: this.pullback.n_frames,
      imageToScreen: (x: number, y: number) => this.panes[0]!.viewport.imageToScreen([x, y]),
    };
    stats.expose(handle);
    window.__adjudicationViewer = {
      ...handle,
      layout: () => this.layout,
      panes: () => this.panes.map((p) => [...p.layers]),
      imageToPage: (x: number, y: number, pane = 0) => {
        const p = this.panes[pane];
        if (!p) return null;
        const rect = p.viewport.overlayCanvas.getBoundingClientRect();
        const [sx, sy] = p.viewport.imageToScreen([x, y]);
        return [rect.left + sx, rect.top + sy];
      },
      ownDocument: () => this.ownDocument(),
    };
  }

  /** Shows frame `n` (clamped) in every pane. */
  goTo(n: number): void {
    const target = Math.min(this.pullback.n_frames - 1, Math.max(0, Math.round(n)));
    if (this.panes.length === 0) return;
    for (const p of this.panes) p.viewer.goTo(target);
  }

  /** Brings the viewer into view (after a frame link on the page was followed). */
  reveal(): void {
    this.root.scrollIntoView({ block: "start" });
    (this.panes[0]?.viewport.overlayCanvas ?? this.root).focus({ preventScroll: true });
  }

  setLayout(layout: Layout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    for (const [value, button] of this.layoutButtons) button.setAttribute("aria-pressed", String(value === layout));
    void this.arrange();
  }

  setVisible(id: LayerId, visible: boolean): void {
    if (id === "own" && this.ownOrigin === null) visible = false;
    if (visible) this.visible.add(id);
    else this.visible.delete(id);
    const input = this.layerInputs.get(id);
    if (input) input.checked = visible;
    if (id === "own" && !visible) this.selectTool(null);
    void this.arrange();
  }

  /** Starts "my annotation" from a copy of a reader's document (or empty); asks before replacing one. */
  startOwn(origin: OwnOrigin): void {
    if (this.readOnly) return;
    const current = this.ownDocument();
    if (current && !isEmptyDocument(current) && this.pendingReplace !== origin) {
      this.pendingReplace = origin;
      this.status.flash("Your annotation is not empty: click the same button again to replace it.", 6000);
      this.startButtons.get(origin)?.classList.add("is-confirming");
      return;
    }
    this.pendingReplace = null;
    for (const b of this.startButtons.values()) b.classList.remove("is-confirming");
    this.startButtons.get(origin)?.parentElement?.classList.remove("is-prompting");
    const docs = { reader1: this.layers.reader1.store.document, reader2: this.layers.reader2.store.document };
    this.ownOrigin = origin;
    for (const tool of Object.values(this.layers.own.tools)) tool.cancelDraft();
    this.layers.own.store.load(startOwnDocument(origin, docs), 0);
    this.keeper.save({ origin, annotations: this.layers.own.store.document });
    this.visible.add("own");
    this.applyOwnState();
    this.selectTool(this.activeTool ?? "lumen");
    void this.arrange();
    this.status.flash(origin === "empty" ? "Started an empty annotation of your own." : `Started from a copy of ${LAYER_SPECS[origin].label}; the original stays unchanged.`);
    this.onOwnChange?.();
  }

  discardOwn(): void {
    if (this.readOnly || this.ownOrigin === null) return;
    this.ownOrigin = null;
    this.pendingReplace = null;
    for (const tool of Object.values(this.layers.own.tools)) tool.cancelDraft();
    this.layers.own.store.load(emptyDocument(), 0);
    this.keeper.clear();
    this.visible.delete("own");
    this.selectTool(null);
    this.applyOwnState();
    void this.arrange();
    this.status.flash("Your annotation was discarded.");
    this.onOwnChange?.();
  }

  selectTool(name: ToolName | null): void {
    const editable = !this.readOnly && this.ownOrigin !== null;
    const chosen = editable ? name : null;
    if (chosen !== null && !this.visible.has("own")) this.setVisible("own", true);
    this.activeTool = chosen;
    for (const [toolName, tool] of Object.entries(this.layers.own.tools)) tool.setMode(toolName === chosen ? "active" : "passive");
    for (const [toolName, button] of this.toolButtons) {
      button.setAttribute("aria-pressed", String(toolName === chosen));
      button.disabled = !editable && toolName !== null;
    }
    for (const p of this.panes) p.viewport.overlayCanvas.dataset["tool"] = chosen && p.layers.includes("own") ? chosen : "navigate";
    this.refreshLMode();
  }

  private currentTool(): Tool | null {
    return this.activeTool ? this.layers.own.tools[this.activeTool] : null;
  }

  /** Creates / shows / hides panes for the layout and the visible layers (one at a time). */
  private arrange(): Promise<void> {
    this.arranging = this.arranging.then(() => this.arrangeNow()).catch((err: unknown) => console.error("viewer: layout failed", err));
    return this.arranging;
  }

  private async arrangeNow(): Promise<void> {
    const wanted = paneLayers(this.layout, this.visible);
    while (this.pool.length < wanted.length) this.pool.push(await this.createPane());
    this.panes = [];
    this.pool.forEach((slot, i) => {
      const layers = wanted[i];
      slot.element.hidden = layers === undefined;
      if (layers === undefined) return;
      const pane: Pane = { ...slot, layers };
      slot.caption.replaceChildren(
        ...(layers.length
          ? layers.map((id) => h("span", { class: `ad-chip ad-chip-${id}` }, layerLabel(id, this.resolved)))
          : [h("span", { class: "ad-chip" }, "No layer shown")]),
      );
      slot.element.dataset["layers"] = layers.join(" ");
      this.panes.push(pane);
    });
    this.panesBox.dataset["layout"] = this.layout;
    for (const p of this.panes) {
      p.viewport.setBrightnessContrast(this.brightness, this.contrast);
      if (this.current >= 0) p.viewer.goTo(this.current);
      p.viewport.requestRender();
    }
    this.selectTool(this.activeTool);
    this.updateComparison();
    this.refreshLMode();
  }

  private async createPane(): Promise<{ element: HTMLElement; caption: HTMLElement; viewport: ViewportAdapter; viewer: FrameViewer }> {
    const caption = h("div", { class: "ad-pane-caption" });
    const body = h("div", { class: "ad-pane-body" });
    const element = h("div", { class: "ad-pane" }, caption, body);
    this.panesBox.append(element);
    let viewport: ViewportAdapter;
    try {
      viewport = await this.factory(body, this.pullback, this.loader);
    } catch (err) {
      console.warn("viewer: falling back to the canvas viewport:", err);
      viewport = await canvasViewportFactory(body, this.pullback, this.loader);
    }
    const stats = viewerStats();
    viewport.onFramePainted = (frame) => stats.painted(frame);
    const drawsOwn = () => this.panes.some((p) => p.viewport === viewport && p.layers.includes("own"));
    const viewer = new FrameViewer(viewport, this.loader, {
      onPress: (press) => {
        if (!drawsOwn()) return false;
        this.coords.target = viewport;
        return this.currentTool()?.onPointerDown(press) ?? false;
      },
      onHover: (hover) => {
        if (!drawsOwn()) return;
        this.coords.target = viewport;
        this.currentTool()?.onPointerMove(hover);
      },
      onRelease: () => {
        this.coords.target = viewport;
        this.currentTool()?.onPointerUp();
      },
      onFrameChange: (frame) => this.paneFrameChanged(frame),
    });
    viewport.drawOverlay = (g) => this.drawPane(g, viewport);
    return { element, caption, viewport, viewer };
  }

  private drawPane(g: CanvasRenderingContext2D, viewport: ViewportAdapter): void {
    const pane = this.panes.find((p) => p.viewport === viewport);
    if (!pane || this.current < 0) return;
    this.coords.target = viewport;
    this.drawLModeLine(g, viewport);
    // The own layer last, so what is being edited is on top.
    for (const id of pane.layers) {
      const layer = this.layers[id];
      const frame = frameOf(layer.store.document, this.current);
      for (const tool of Object.values(layer.tools)) tool.render(g, frame);
      this.drawStrutLabels(g, viewport, id, frame);
    }
  }

  /** Each strut's malapposition (µm) in the layer's colour; malapposed struts get a red ring. */
  private drawStrutLabels(g: CanvasRenderingContext2D, viewport: ViewportAdapter, id: LayerId, frame: ReturnType<typeof frameOf>): void {
    if (!this.spacing || !frame?.struts?.length) return;
    const m = frameMetrics(frame, this.spacing, this.boot.strut_threshold_um);
    if (!m.struts) return;
    const colour = LAYER_SPECS[id].colour;
    m.struts.forEach((s, i) => {
      if (s.distanceUm === null) return;
      const [x, y] = viewport.imageToScreen(frame.struts![i]!);
      if (s.malapposed) {
        g.save();
        g.strokeStyle = "#ff4d4d";
        g.lineWidth = 1.5;
        g.beginPath();
        g.arc(x, y, 7, 0, Math.PI * 2);
        g.stroke();
        g.restore();
      }
      overlayText(g, `${s.distanceUm.toFixed(0)}`, x + 7, y - 7, colour);
    });
  }

  private drawLModeLine(g: CanvasRenderingContext2D, viewport: ViewportAdapter): void {
    const theta = (this.lmode.angle * Math.PI) / 180;
    const cx = (this.pullback.columns - 1) / 2;
    const cy = (this.pullback.rows - 1) / 2;
    const r = Math.min(this.pullback.rows, this.pullback.columns) / 2;
    const [ax, ay] = viewport.imageToScreen([cx + r * Math.cos(theta), cy + r * Math.sin(theta)]);
    const [bx, by] = viewport.imageToScreen([cx - r * Math.cos(theta), cy - r * Math.sin(theta)]);
    g.save();
    g.strokeStyle = "rgba(255, 210, 77, 0.35)";
    g.setLineDash([2, 6]);
    g.beginPath();
    g.moveTo(ax, ay);
    g.lineTo(bx, by);
    g.stroke();
    g.restore();
  }

  private requestRender(): void {
    for (const p of this.panes) p.viewport.requestRender();
    this.refreshLMode();
  }

  /** A pane moved (wheel, keys on its overlay): every other pane follows. */
  private paneFrameChanged(frame: number): void {
    if (frame === this.current) return;
    this.current = frame;
    for (const p of this.panes) p.viewer.goTo(frame);
    for (const tool of Object.values(this.layers.own.tools)) tool.onFrameChange();
    this.slider.value = String(frame);
    const position = framePositionMm(frame, this.pullback.frame_spacing_mm);
    const positionText = position === null ? "—" : `${position.toFixed(2)} mm`;
    this.counter.textContent = `frame ${frame} / ${this.pullback.n_frames} · ${positionText}`;
    this.slider.setAttribute("aria-valuetext", `frame ${frame} of ${this.pullback.n_frames}, ${positionText}`);
    this.lmode.setCursor(frame);
    this.updateComparison();
  }

  private documentChanged(id: LayerId | null): void {
    if (id === "own" && this.ownOrigin !== null && !this.readOnly) {
      this.keeper.save({ origin: this.ownOrigin, annotations: this.layers.own.store.document });
      this.onOwnChange?.();
    }
    for (const p of this.panes) p.viewport.requestRender();
    this.updateComparison();
    this.updateLongitudinal();
    this.refreshLMode();
    this.updateOwnControls();
  }

  private refreshLMode(): void {
    if (!this.lmode) return;
    const pending: Array<{ frame: number; label: string }> = [];
    const edge = (this.layers.own.tools["stent-edges"] as StentEdgeTool).pendingFrame;
    const seg = (this.layers.own.tools["calcium-segments"] as CalciumSegmentTool).pendingFrame;
    if (edge !== null) pending.push({ frame: edge, label: "stent" });
    if (seg !== null) pending.push({ frame: seg, label: "calcium" });
    const layers = LAYER_IDS.filter((id) => this.visible.has(id)).map((id) => ({ doc: this.layers[id].store.document, colour: LAYER_SPECS[id].colour, dash: LAYER_SPECS[id].dash }));
    this.lmode.setLayers(layers, [], pending);
  }

  /** "R1", "R2", "Mine" (or "Adj." for the signed adjudicator read once resolved). */
  private shortLabel(id: LayerId): string {
    return id === "own" && this.resolved ? "Adj." : LAYER_SPECS[id].short;
  }

  private shownLayers(): LayerId[] {
    return LAYER_IDS.filter((id) => this.visible.has(id));
  }

  private updateComparison(): void {
    const ids = this.shownLayers();
    if (this.current < 0 || ids.length === 0) {
      this.comparison.replaceChildren(h("p", { class: "vw-muted" }, "No layer shown."));
      return;
    }
    const rows = compareFrame(
      ids.map((id) => frameOf(this.layers[id].store.document, this.current)),
      this.spacing,
      this.boot.strut_threshold_um,
    );
    if (!rows) {
      this.comparison.replaceChildren(h("p", { class: "vw-area", "data-kind": "uncalibrated" }, "uncalibrated: no pixel spacing, no mm readouts"));
      return;
    }
    const head = h("tr", {}, h("th", {}, ""), ...ids.map((id) => h("th", { scope: "col", class: `ad-col-${id}` }, this.shortLabel(id))));
    const body = rows.map((row) =>
      h(
        "tr",
        { "data-row": row.key, class: row.differs ? "is-different" : "" },
        h("th", { scope: "row" }, row.label),
        ...row.values.map((v, i) => h("td", { "data-layer": ids[i]! }, v)),
      ),
    );
    this.comparison.replaceChildren(h("table", { class: "ad-compare-table" }, h("thead", {}, head), h("tbody", {}, ...body)));
  }

  private updateLongitudinal(): void {
    const items: Node[] = [];
    for (const id of LAYER_IDS) {
      if (id === "own" && this.ownOrigin === null) continue;
      const doc = this.layers[id].store.document;
      items.push(
        h("dt", { class: `ad-col-${id}` }, `${this.shortLabel(id)} stent edges`),
        h("dd", { "data-readout": `stent_edges_${id}` }, stentEdgesText(doc)),
        h("dt", { class: `ad-col-${id}` }, `${this.shortLabel(id)} calcium segments`),
        h("dd", { "data-readout": `calcium_segments_${id}` }, calciumSegmentsText(doc)),
      );
    }
    this.longitudinal.replaceChildren(...items);
  }

  private applyOwnState(): void {
    const started = this.ownOrigin !== null;
    const ownInput = this.layerInputs.get("own")!;
    ownInput.disabled = !started;
    ownInput.checked = started && this.visible.has("own");
    this.root.classList.toggle("has-own", started);
    this.root.classList.toggle("is-read-only", this.readOnly);
    this.updateOwnControls();
    this.updateLongitudinal();
  }

  private updateOwnControls(): void {
    const store = this.layers.own.store;
    const started = this.ownOrigin !== null;
    this.undoButton.disabled = !started || !store.canUndo;
    this.redoButton.disabled = !started || !store.canRedo;
    this.discardButton.disabled = !started;
    if (!started) {
      this.ownState.textContent = "Not started. Copy a reader's annotation or start empty, then correct it with the tools.";
      this.ownState.dataset["state"] = "none";
      return;
    }
    const frames = annotatedFrames(store.document);
    const from = this.ownOrigin === "empty" ? "started empty" : `from a copy of ${LAYER_SPECS[this.ownOrigin as "reader1" | "reader2"].label}`;
    this.ownState.textContent = isEmptyDocument(store.document)
      ? `Empty (${from}). Draw on the frames concerned.`
      : `${frames.length} frame${frames.length === 1 ? "" : "s"} annotated (${from}); kept in this browser tab until you sign.`;
    this.ownState.dataset["state"] = isEmptyDocument(store.document) ? "empty" : "drawn";
  }

  private step(delta: number): void {
    this.goTo(this.current + delta);
  }

  /** Keys act when the viewer (or nothing in particular) has the focus: never inside the form. */
  private ownsKey(ev: KeyboardEvent): boolean {
    const target = ev.target;
    if (isTypingTarget(target)) return false;
    if (target === document.body || target === document.documentElement || target === null) return true;
    return target instanceof Node && this.root.contains(target);
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.altKey) return;
    if (this.help.isOpen) {
      if (ev.key === "Escape" || ev.key === "?") {
        ev.preventDefault();
        this.help.close();
      }
      return;
    }
    if (!this.ownsKey(ev)) return;
    const key = ev.key;
    if (ev.ctrlKey || ev.metaKey) {
      const lower = key.toLowerCase();
      if (lower === "z" && !ev.shiftKey) this.layers.own.store.undo();
      else if ((lower === "z" && ev.shiftKey) || lower === "y") this.layers.own.store.redo();
      else if (key === "+" || key === "=") this.panes.forEach((p) => p.viewer.zoomIn());
      else if (key === "-") this.panes.forEach((p) => p.viewer.zoomOut());
      else return;
      ev.preventDefault();
      return;
    }
    if (ev.target instanceof HTMLButtonElement && (key === "Enter" || key === " ")) return;
    const tool = this.currentTool();
    if (tool) {
      const ownPane = this.panes.find((p) => p.layers.includes("own"));
      if (ownPane) this.coords.target = ownPane.viewport;
      if (tool.onKeyDown(key)) {
        ev.preventDefault();
        return;
      }
    }
    const toolKey = TOOL_ENTRIES.find(([, , k]) => k.toLowerCase() === key.toLowerCase());
    if (toolKey && !this.readOnly && this.ownOrigin !== null) {
      this.selectTool(toolKey[0]);
      ev.preventDefault();
      return;
    }
    const onSlider = ev.target === this.slider;
    const layerKey = LAYER_IDS.find((id) => LAYER_SPECS[id].key === key);
    if (layerKey) {
      this.setVisible(layerKey, !this.visible.has(layerKey));
      ev.preventDefault();
      return;
    }
    switch (key) {
      case "ArrowRight":
      case "ArrowDown":
        if (onSlider) return;
        this.step(1);
        break;
      case "ArrowLeft":
      case "ArrowUp":
        if (onSlider) return;
        this.step(-1);
        break;
      case "PageDown":
        this.step(10);
        break;
      case "PageUp":
        this.step(-10);
        break;
      case "Home":
        this.goTo(0);
        break;
      case "End":
        this.goTo(this.pullback.n_frames - 1);
        break;
      case "v":
      case "V":
        this.setLayout(this.layout === "overlay" ? "side-by-side" : "overlay");
        break;
      case "+":
      case "=":
        this.panes.forEach((p) => p.viewer.zoomIn());
        break;
      case "-":
      case "_":
        this.panes.forEach((p) => p.viewer.zoomOut());
        break;
      case "r":
      case "R":
        this.panes.forEach((p) => p.viewer.resetView());
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

declare global {
  interface Window {
    /** Hooks for the e2e tests: navigate, layout, image px → page px of a pane, the own document. */
    __adjudicationViewer?: {
      goTo(n: number): void;
      frame(): number;
      frameCount: number;
      layout(): Layout;
      panes(): LayerId[][];
      imageToPage(x: number, y: number, pane?: number): [number, number] | null;
      ownDocument(): AnnotationDocument | null;
    };
  }
}
