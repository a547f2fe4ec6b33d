import type { ViewportAdapter } from "../adapter/viewport.js";
import type { AdjudicationResponse, ApiClient, PullbackResponse } from "../api/client.js";
import type { AnnotationDocument } from "../document/types.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import type { Tool } from "../tools/tool.js";
import type { ToolName } from "../tools/toolSet.js";
import { h } from "../ui/dom.js";
import { HelpOverlay } from "../ui/helpOverlay.js";
import * as shell from "../ui/shell.js";
import { StatusBar } from "../ui/statusBar.js";
import { viewerStats } from "../ui/stats.js";
import { FrameLoader } from "../viewer/frameLoader.js";
import { LModeView } from "../viewer/lmodeView.js";
import type { AdjudicationBootstrap } from "./bootstrap.js";
import { documentsByLayer, LAYER_IDS, paneLayers, type LayerId } from "./layers.js";
import type { Layout } from "./layerControls.js";
import { OwnAnnotation, type OwnAnnotationHost } from "./ownAnnotation.js";
import type { DraftStorage, OwnOrigin } from "./ownDocument.js";
import type { AutoAssist } from "../auto/autoAssist.js";
import { createLayers, drawLayers, lmodeLayers, ownPointerHooks, paneCaption, proposalLayer, type Layer, type SharedToolContext } from "./layerStack.js";
import { PaneCoordinates, PaneSet } from "./panes.js";
import { workbenchKeyHooks } from "./workbenchKeys.js";
import { WORKBENCH_LEGEND, WorkbenchPanel } from "./workbenchPanel.js";
import { exposeWorkbenchHooks } from "./testHooks.js";
import { OwnPersistence } from "./ownPersistence.js";
import { ADJUDICATION_SHORTCUTS } from "./shortcuts.js";

export { ADJUDICATION_SHORTCUTS };
export type { Layout } from "./layerControls.js";

/**
 * The adjudicator's viewer: Reader 1's and Reader 2's documents (read-only) drawn on the same
 * frame in their layer colours, as an overlay or side by side (zoom and pan linked); the L-mode
 * with every layer's stent edges and calcium segments; and "my own annotation", a third
 * document started from a copy of either reader (or empty) and edited with the reading page's
 * tools, handed to the decision form on submit.
 */
export class AdjudicationViewer implements OwnAnnotationHost {
  readonly loader: FrameLoader;
  readonly readOnly: boolean;
  onOwnChange: (() => void) | null = null;
  private readonly resolved: boolean;
  private readonly layers: Record<LayerId, Layer>;
  private readonly coords = new PaneCoordinates();
  private readonly persist: OwnPersistence;
  /** The automatic proposal (SPEC §11) as a third, optional layer: shown, never accepted here. */
  private readonly auto: AutoAssist;
  private readonly ownAnnotation: OwnAnnotation;
  private readonly visible = new Set<LayerId>(["reader1", "reader2"]);
  private layout: Layout = "overlay";
  private readonly panes: PaneSet;
  private lmode!: LModeView;
  private current = -1;
  private activeTool: ToolName | null = null;
  private adjust: [number, number] = [1, 1];
  private readonly spacing: PixelSpacingMm | null;
  private readonly status: StatusBar;
  private readonly help: HelpOverlay;
  private readonly views: HTMLElement;
  private readonly nav: shell.NavBar;
  private readonly panel: WorkbenchPanel;

  constructor(
    readonly root: HTMLElement,
    private readonly boot: AdjudicationBootstrap,
    adjudication: AdjudicationResponse,
    private readonly pullback: PullbackResponse,
    storage: DraftStorage | null,
    factory: shell.ViewportFactory,
    api: ApiClient,
  ) {
    this.resolved = adjudication.status !== "open";
    this.readOnly = boot.read_only || this.resolved;
    this.spacing = shell.pixelSpacingOf(pullback);
    this.loader = new FrameLoader(boot.frame_url_template, pullback.n_frames, {
      batchUrlTemplate: boot.frames_batch_url_template,
      batchSize: boot.frames_batch_size,
      decodedCapacity: 64,
    });
    const docs = documentsByLayer(adjudication.reads);
    const shared: SharedToolContext = {
      coords: this.coords,
      currentFrame: () => this.current,
      requestRender: () => this.requestRender(),
      notify: (message) => this.status.flash(message),
      pixelSpacingMm: this.spacing,
      frameCount: pullback.n_frames,
    };
    this.layers = createLayers(docs, this.readOnly, shared);
    this.persist = new OwnPersistence(this.layers.own.store, api, boot.adjudication_id, storage, !this.readOnly, (text, tone) =>
      this.status.setSave(text, tone === "busy" ? "pending" : tone),
    );
    this.auto = proposalLayer(api, pullback.id, shared, (message, ms) => this.status.flash(message, ms));
    this.ownAnnotation = new OwnAnnotation(this.layers, this.persist, !this.readOnly, {
      flash: (message, ms) => this.status.flash(message, ms),
      confirming: (origin) => this.panel.own.confirming(origin),
      changed: (origin) => this.ownChanged(origin),
    });
    const ownDoc = this.persist.initial(this.resolved, docs.own);
    if (ownDoc) this.layers.own.store.load(ownDoc, 0);
    if (this.ownOrigin !== null) this.visible.add("own");

    this.status = new StatusBar(() => this.help.toggle());
    this.help = new HelpOverlay(ADJUDICATION_SHORTCUTS, WORKBENCH_LEGEND);
    this.panes = new PaneSet(factory, pullback, this.loader, {
      pointer: (viewport) => this.pointerHooks(viewport),
      frameChanged: (frame) => this.paneFrameChanged(frame),
      draw: (g, viewport) => this.drawPane(g, viewport),
      caption: (layers) => paneCaption(layers, this.resolved),
    });
    this.views = h("div", { class: "vw-views" }, this.panes.box);
    const stage = h("section", { class: "vw-stage", "aria-label": "Frame viewer" }, this.views);
    this.panel = new WorkbenchPanel(
      { readOnly: this.readOnly, resolved: this.resolved, visible: this.visible, layout: this.layout, spacing: this.spacing },
      { ownStore: this.layers.own.store, pullback, strutThresholdUm: boot.strut_threshold_um, auto: this.auto.element },
      {
        setVisible: (id, on) => this.setVisible(id, on),
        setLayout: (l) => this.setLayout(l),
        startOwn: (o) => this.ownAnnotation.start(o),
        discardOwn: () => this.ownAnnotation.discard(),
        selectTool: (n) => this.selectTool(n),
        adjust: (b, c) => {
          this.adjust = [b, c];
          this.panes.forEach((p) => p.viewport.setBrightnessContrast(b, c));
        },
        angle: (deg) => {
          this.lmode.setAngle(deg);
          this.requestRender();
        },
        resetView: () => this.panes.panes[0]?.viewer.resetView(),
      },
    );
    root.replaceChildren(h("div", { class: "vw-main" }, stage, this.panel.element), this.status.element, this.help.element);

    const target = { frame: () => this.current, frameCount: () => pullback.n_frames, goTo: (f: number) => this.goTo(f) };
    this.nav = new shell.NavBar(target, pullback);
    this.nav.counter.dataset["readout"] = "frame";
    stage.append(this.nav.element);
  }

  private get ownOrigin(): OwnOrigin | null {
    return this.ownAnnotation.origin;
  }

  /** The frame shown (0-based), −1 before the first. */
  get frame(): number {
    return this.current;
  }

  ownDocument(): AnnotationDocument | null {
    return this.ownAnnotation.document();
  }

  /** Creates the first viewport, wires input, shows frame 0, then prefetches. */
  async mount(): Promise<void> {
    this.loader.get(0).catch(() => undefined);
    this.lmode = new LModeView(this.views, this.loader, this.pullback.columns, this.pullback.rows, {
      urlTemplate: this.boot.lmode_url_template,
      onPick: (frame) => {
        if (!this.currentTool()?.onFramePick(frame)) this.goTo(frame);
        this.refreshLMode();
      },
    });
    const stats = viewerStats();
    shell.bindLoaderProgress(this.loader, this.status);
    this.loader.onFrameCached = () => this.lmode.frameCached();
    for (const layer of Object.values(this.layers)) {
      layer.store.subscribe((event) => {
        if (event.type === "document") this.documentChanged(layer.id);
        this.panel.showOwnState(this.ownOrigin);
      });
    }
    const keys = workbenchKeyHooks({
      help: this.help,
      slider: this.nav.slider,
      root: this.root,
      ownStore: this.layers.own.store,
      firstViewer: () => this.panes.panes[0]?.viewer,
      resetImage: () => this.panel.image.reset(),
      frame: () => this.current,
      frameCount: this.pullback.n_frames,
      goTo: (f) => this.goTo(f),
      currentTool: () => this.currentTool(),
      targetOwnPane: () => {
        const ownPane = this.panes.withLayer("own");
        if (ownPane) this.coords.target = ownPane.viewport;
      },
      canEditOwn: () => !this.readOnly && this.ownOrigin !== null,
      selectTool: (name) => this.selectTool(name),
      isVisible: (id) => this.visible.has(id),
      setVisible: (id, visible) => this.setVisible(id, visible),
      toggleLayout: () => this.setLayout(this.layout === "overlay" ? "side-by-side" : "overlay"),
    });
    window.addEventListener("keydown", (ev) => shell.handleViewerKey(ev, keys));
    if (!this.readOnly && (await this.persist.loadServer())) this.visible.add("own");
    await this.arrange();
    stats.viewport = this.panes.panes[0]?.viewport.kind ?? "";
    this.applyOwnState();
    this.documentChanged(null);
    this.goTo(0);
    const afterFirst = () => {
      this.loader.startPrefetch();
      this.lmode.setAngle(Number(this.panel.image.angle.value));
    };
    this.loader.get(0).then(afterFirst, afterFirst);
    void this.auto.load();
    exposeWorkbenchHooks(stats, {
      goTo: (n) => this.goTo(n),
      frame: () => this.current,
      frameCount: this.pullback.n_frames,
      panes: this.panes,
      layout: () => this.layout,
      ownDocument: () => this.ownDocument(),
    });
  }

  /** Shows frame `n` (clamped) in every pane. */
  goTo(n: number): void {
    const target = Math.min(this.pullback.n_frames - 1, Math.max(0, Math.round(n)));
    this.panes.forEach((p) => p.viewer.goTo(target));
  }

  /** Marks the frames behind the flags on the L-mode. */
  markDisagreeing(frames: readonly number[]): void {
    this.lmode.setFlagged(frames);
  }

  /** Brings the viewer into view (after a frame link on the page was followed). */
  reveal(): void {
    this.root.scrollIntoView({ block: "start" });
    (this.panes.panes[0]?.viewport.overlayCanvas ?? this.root).focus({ preventScroll: true });
  }

  setLayout(layout: Layout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    this.panel.layerControls.showLayout(layout);
    void this.arrange();
  }

  setVisible(id: LayerId, visible: boolean): void {
    if (id === "own" && this.ownOrigin === null) visible = false;
    if (visible) this.visible.add(id);
    else this.visible.delete(id);
    this.panel.layerControls.showVisible(id, visible, id !== "own" || this.ownOrigin !== null);
    if (id === "own" && !visible) this.selectTool(null);
    void this.arrange();
  }

  private ownChanged(origin: OwnOrigin | null): void {
    if (origin === null) {
      this.visible.delete("own");
      this.selectTool(null);
    } else this.visible.add("own");
    this.applyOwnState();
    void this.arrange();
    this.onOwnChange?.();
    if (origin !== null) this.selectTool(this.activeTool ?? "lumen");
  }

  selectTool(name: ToolName | null): void {
    const editable = !this.readOnly && this.ownOrigin !== null;
    const chosen = editable ? name : null;
    if (chosen !== null && !this.visible.has("own")) this.setVisible("own", true);
    this.activeTool = chosen;
    this.panel.own.tools.show(this.layers.own.tools, chosen, editable);
    this.panes.forEach((p) => (p.viewport.overlayCanvas.dataset["tool"] = chosen && p.layers.includes("own") ? chosen : "navigate"));
    this.refreshLMode();
  }

  private currentTool(): Tool | null {
    return this.activeTool ? this.layers.own.tools[this.activeTool] : null;
  }

  private arrange(): Promise<void> {
    return this.panes.arrange(paneLayers(this.layout, this.visible), this.layout, (panes) => {
      for (const p of panes) {
        p.viewport.setBrightnessContrast(...this.adjust);
        if (this.current >= 0) p.viewer.goTo(this.current);
        p.viewport.requestRender();
      }
      this.selectTool(this.activeTool);
      this.updateComparison();
      this.refreshLMode();
    });
  }

  private pointerHooks(viewport: ViewportAdapter) {
    const drawsOwn = () => !!this.panes.of(viewport)?.layers.includes("own");
    return ownPointerHooks(drawsOwn, () => ((this.coords.target = viewport), this.currentTool()));
  }

  private drawPane(g: CanvasRenderingContext2D, viewport: ViewportAdapter): void {
    const pane = this.panes.of(viewport);
    if (!pane || this.current < 0) return;
    this.coords.target = viewport;
    shell.drawLModeLine(g, viewport, this.pullback, this.lmode.angle);
    if (pane === this.panes.panes[0]) this.auto.render(g);
    const layers = pane.layers.map((id) => this.layers[id]);
    drawLayers(g, viewport, layers, this.current, this.spacing, this.boot.strut_threshold_um);
  }

  private requestRender(): void {
    this.panes.forEach((p) => p.viewport.requestRender());
    this.refreshLMode();
  }

  /** A pane moved (wheel, keys on its overlay): every other pane follows. */
  private paneFrameChanged(frame: number): void {
    if (frame === this.current) return;
    this.current = frame;
    this.panes.forEach((p) => p.viewer.goTo(frame));
    for (const tool of Object.values(this.layers.own.tools)) tool.onFrameChange();
    this.nav.show(frame);
    this.auto.frameChanged();
    this.lmode.setCursor(frame);
    this.updateComparison();
  }

  private documentChanged(id: LayerId | null): void {
    if (id === "own" && this.ownOrigin !== null && !this.readOnly) {
      this.persist.changed();
      this.onOwnChange?.();
    }
    this.panes.forEach((p) => p.viewport.requestRender());
    this.updateComparison();
    this.panel.showPullback(this.layers, this.ownOrigin !== null);
    this.refreshLMode();
    this.panel.showOwnState(this.ownOrigin);
  }

  private refreshLMode(): void {
    if (!this.lmode) return;
    this.lmode.setLayers(lmodeLayers(this.visibleLayers()), [], shell.pendingMarks(this.layers.own.tools));
  }

  private visibleLayers(): Layer[] {
    return LAYER_IDS.filter((id) => this.visible.has(id)).map((id) => this.layers[id]);
  }

  private updateComparison(): void {
    this.panel.showFrame(this.current, this.visibleLayers());
  }

  private applyOwnState(): void {
    const started = this.ownOrigin !== null;
    this.panel.layerControls.showVisible("own", started && this.visible.has("own"), started);
    this.root.classList.toggle("has-own", started);
    this.root.classList.toggle("is-read-only", this.readOnly);
    this.panel.showOwnState(this.ownOrigin);
    this.panel.showPullback(this.layers, started);
  }
}
