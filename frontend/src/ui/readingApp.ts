import { AnnotationAdapter } from "../adapter/annotations.js";
import { ApiClient, ApiError, type PullbackResponse, type ReadResponse } from "../api/client.js";
import { Autosaver } from "../document/autosave.js";
import { documentFromServer, frameOf } from "../document/document.js";
import { DocumentStore } from "../document/store.js";
import { LumenContourTool } from "../tools/LumenContourTool.js";
import { StrutTool } from "../tools/StrutTool.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { FrameLoader } from "../viewer/frameLoader.js";
import { FrameViewer, isTypingTarget } from "../viewer/frameViewer.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { h } from "./dom.js";
import { framePositionMm, saveStateText } from "./format.js";
import { HelpOverlay } from "./helpOverlay.js";
import { lumenAreaReadout, lumenAreaText } from "./readout.js";
import { StatusBar, type SaveTone } from "./statusBar.js";

/** Shows a readable failure in place of the viewer. */
export function renderFatal(root: HTMLElement, title: string, detail: string): void {
  root.replaceChildren(
    h("div", { class: "vw-fatal", role: "alert" }, h("h2", {}, title), h("p", {}, detail)),
  );
}

function describeLoadError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404) return "This read or pullback was not found, or you have no access to it.";
    if (err.status === 401 || err.status === 403) return "Your session has expired or lacks access; sign in again.";
    return `${err.detail} (HTTP ${err.status || "—"})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Loads the read and its pullback, then mounts the reading viewer into `root`. */
export async function startReadingApp(root: HTMLElement, boot: ViewerBootstrap): Promise<ReadingApp | null> {
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
  return new ReadingApp(root, boot, api, read, pullback);
}

type ToolName = "lumen" | "struts" | null;

/** The reading page: viewer, tools, side panel, status bar, conflict handling. */
export class ReadingApp {
  readonly store: DocumentStore;
  readonly viewer: FrameViewer;
  private readonly autosaver: Autosaver;
  private readonly tools: Record<Exclude<ToolName, null>, Tool>;
  private activeTool: ToolName = null;
  private readonly status: StatusBar;
  private readonly help: HelpOverlay;
  private readonly bannerArea: HTMLElement;
  private readonly conflictBanner: HTMLElement;
  private readonly readOnlyBanner: HTMLElement;
  private readonly toolButtons = new Map<ToolName, HTMLButtonElement>();
  private readonly slider: HTMLInputElement;
  private readonly counter: HTMLElement;
  private readonly readout: Record<"frame" | "position" | "area" | "areaDetail" | "struts", HTMLElement>;
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private brightness = 1;
  private contrast = 1;
  private readonly brightnessInput: HTMLInputElement;
  private readonly contrastInput: HTMLInputElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly boot: ViewerBootstrap,
    private readonly api: ApiClient,
    read: ReadResponse,
    private readonly pullback: PullbackResponse,
  ) {
    const readOnly = boot.read_only || read.status === "submitted";
    this.store = new DocumentStore(documentFromServer(read.annotations), read.version, { readOnly });
    this.autosaver = new Autosaver(this.store, (version, annotations) =>
      this.api.saveAnnotations(boot.read_id, version, annotations),
    );

    // Layout.
    this.bannerArea = h("div", { class: "vw-banners" });
    this.readOnlyBanner = h(
      "div",
      { class: "vw-banner vw-banner-info", role: "status", hidden: true },
      "Read-only: this read is submitted or opened for viewing; annotations cannot be changed.",
    );
    this.conflictBanner = h("div", { class: "vw-banner vw-banner-warn", role: "alert", hidden: true });
    this.bannerArea.append(this.readOnlyBanner, this.conflictBanner);
    const stage = h("section", { class: "vw-stage", "aria-label": "Frame viewer" });
    const panel = h("aside", { class: "vw-panel", "aria-label": "Tools and measurements" });
    this.status = new StatusBar(() => this.help.toggle());
    this.help = new HelpOverlay();
    root.replaceChildren(this.bannerArea, h("div", { class: "vw-main" }, stage, panel), this.status.element, this.help.element);

    // Viewer.
    const loader = new FrameLoader(boot.frame_url_template, pullback.n_frames);
    loader.onProgress = (loaded, total, failed) => this.status.setProgress(loaded, total, failed);
    this.viewer = new FrameViewer(stage, loader, pullback.columns, pullback.rows, {
      onPress: (press) => this.currentTool()?.onPointerDown(press) ?? false,
      onHover: (hover) => this.currentTool()?.onPointerMove(hover),
      onFrameChange: (frame) => this.frameChanged(frame),
    });
    const viewport = this.viewer.viewport;
    viewport.drawOverlay = (g) => {
      const frame = frameOf(this.store.document, this.viewer.frame);
      for (const tool of Object.values(this.tools)) tool.render(g, frame);
    };

    // Navigation bar under the image.
    this.slider = h("input", {
      type: "range",
      class: "vw-slider",
      min: 0,
      max: pullback.n_frames - 1,
      step: 1,
      value: 0,
      "aria-label": "Frame",
    });
    this.slider.addEventListener("input", () => this.viewer.goTo(Number(this.slider.value)));
    this.counter = h("span", { class: "vw-counter", title: "0-based frame index, as in the annotation data" });
    stage.append(h("div", { class: "vw-navbar" }, this.slider, this.counter));

    // Tools.
    const context: ToolContext = {
      coords: viewport,
      annotations: new AnnotationAdapter(this.store),
      currentFrame: () => this.viewer.frame,
      requestRender: () => viewport.requestRender(),
      notify: (message) => this.status.flash(message),
    };
    this.tools = { lumen: new LumenContourTool(context), struts: new StrutTool(context) };

    // Side panel.
    const toolGroup = h("div", { class: "vw-toolgroup", role: "group", "aria-label": "Annotation tools" });
    const toolEntries: Array<[ToolName, string, string]> = [
      [null, "Navigate", "N"],
      ["lumen", "Lumen contour", "L"],
      ["struts", "Struts", "S"],
    ];
    for (const [name, label, key] of toolEntries) {
      const button = h(
        "button",
        { type: "button", class: "vw-button vw-tool", "aria-pressed": "false", "aria-keyshortcuts": key, title: `${label} (${key})` },
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

    this.readout = {
      frame: h("dd", {}),
      position: h("dd", {}),
      area: h("span", { class: "vw-area" }),
      areaDetail: h("span", { class: "vw-muted vw-detail" }),
      struts: h("dd", {}),
    };
    const calibration = pullback.pixel_spacing_mm
      ? `${pullback.pixel_spacing_mm[0]} × ${pullback.pixel_spacing_mm[1]} mm/px`
      : "none (mm not available)";
    const readoutList = h(
      "dl",
      { class: "vw-readout" },
      h("dt", {}, "Frame"),
      this.readout.frame,
      h("dt", {}, "Position"),
      this.readout.position,
      h("dt", {}, "Lumen area"),
      h("dd", {}, this.readout.area, this.readout.areaDetail),
      h("dt", {}, "Struts"),
      this.readout.struts,
      h("dt", {}, "Pixel spacing"),
      h("dd", {}, calibration),
      h("dt", {}, "Frame spacing"),
      h("dd", {}, pullback.frame_spacing_mm ? `${pullback.frame_spacing_mm} mm` : "unknown"),
      h("dt", {}, "Calibration source"),
      h("dd", {}, pullback.calibration_source ?? "—"),
    );

    this.brightnessInput = this.rangeInput("Brightness", () => {
      this.brightness = Number(this.brightnessInput.value);
      this.applyImageAdjustments();
    });
    this.contrastInput = this.rangeInput("Contrast", () => {
      this.contrast = Number(this.contrastInput.value);
      this.applyImageAdjustments();
    });
    const zoomIn = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
    const zoomOut = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−");
    const reset = h("button", { type: "button", class: "vw-button", "aria-label": "Reset view", title: "Reset view (R)" }, "Reset");
    zoomIn.addEventListener("click", () => this.viewer.zoomIn());
    zoomOut.addEventListener("click", () => this.viewer.zoomOut());
    reset.addEventListener("click", () => this.resetView());

    panel.append(
      h("h2", {}, "Tools"),
      toolGroup,
      h("div", { class: "vw-row" }, this.undoButton, this.redoButton),
      h("h2", {}, "Measurements"),
      readoutList,
      h("h2", {}, "Image"),
      h("label", { class: "vw-range" }, "Brightness", this.brightnessInput),
      h("label", { class: "vw-range" }, "Contrast", this.contrastInput),
      h("div", { class: "vw-row" }, zoomOut, zoomIn, reset),
    );

    // State wiring.
    this.store.subscribe((event) => {
      if (event.type === "document") {
        viewport.requestRender();
        this.updateReadout();
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
    this.status.setProgress(0, pullback.n_frames, 0);
    this.viewer.goTo(0);
    // The first frame is requested by goTo before the background prefetch queues the rest.
    loader.startPrefetch();
  }

  private rangeInput(label: string, onInput: () => void): HTMLInputElement {
    const input = h("input", { type: "range", min: 0.2, max: 3, step: 0.05, value: 1, "aria-label": label });
    input.addEventListener("input", onInput);
    return input;
  }

  private applyImageAdjustments(): void {
    this.viewer.viewport.setBrightnessContrast(this.brightness, this.contrast);
  }

  private resetView(): void {
    this.viewer.resetView();
    this.brightness = 1;
    this.contrast = 1;
    this.brightnessInput.value = "1";
    this.contrastInput.value = "1";
    this.applyImageAdjustments();
  }

  private currentTool(): Tool | null {
    return this.activeTool ? this.tools[this.activeTool] : null;
  }

  selectTool(name: ToolName): void {
    const chosen = this.store.readOnly ? null : name;
    this.activeTool = chosen;
    for (const [toolName, tool] of Object.entries(this.tools)) {
      tool.setMode(toolName === chosen ? "active" : "passive");
    }
    for (const [toolName, button] of this.toolButtons) {
      button.setAttribute("aria-pressed", String(toolName === chosen));
      button.disabled = this.store.readOnly && toolName !== null;
    }
    this.viewer.viewport.overlayCanvas.dataset["tool"] = chosen ?? "navigate";
  }

  private applyReadOnly(): void {
    const readOnly = this.store.readOnly;
    this.readOnlyBanner.hidden = !readOnly;
    this.root.classList.toggle("is-read-only", readOnly);
    if (readOnly) this.selectTool(null);
  }

  private frameChanged(frame: number): void {
    for (const tool of Object.values(this.tools)) tool.onFrameChange();
    this.slider.value = String(frame);
    const position = framePositionMm(frame, this.pullback.frame_spacing_mm);
    const positionText = position === null ? "—" : `${position.toFixed(2)} mm`;
    this.counter.textContent = `frame ${frame} / ${this.pullback.n_frames} · ${positionText}`;
    this.slider.setAttribute("aria-valuetext", `frame ${frame} of ${this.pullback.n_frames}, ${positionText}`);
    this.readout.frame.textContent = `${frame} / ${this.pullback.n_frames}`;
    this.readout.position.textContent = positionText;
    this.updateReadout();
    if (this.store.dirty) void this.autosaver.flush();
  }

  private updateReadout(): void {
    const frame = frameOf(this.store.document, this.viewer.frame);
    const area = lumenAreaReadout(frame?.lumen, this.pullback.pixel_spacing_mm);
    this.readout.area.textContent = lumenAreaText(area);
    this.readout.area.dataset["kind"] = area.kind;
    this.readout.areaDetail.textContent = area.kind === "none" ? "" : `${area.areaPx2.toFixed(0)} px²`;
    this.readout.struts.textContent = String(frame?.struts?.length ?? 0);
  }

  private updateSaveState(): void {
    const state = this.store.saveState;
    const tone: SaveTone =
      state.kind === "saved" ? "ok" : state.kind === "saving" ? "busy" : state.kind === "unsaved" ? "pending" : "error";
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
      const version = serverVersion ?? (await this.api.getRead(this.boot.read_id)).version;
      this.store.keepMine(version);
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
    if (ev.defaultPrevented || ev.altKey) return;
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
    if (this.currentTool()?.onKeyDown(key)) {
      ev.preventDefault();
      return;
    }
    // The frame slider handles its own arrow/page/home/end keys.
    const onSlider = ev.target === this.slider;
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
      case "l":
      case "L":
        this.selectTool("lumen");
        break;
      case "s":
      case "S":
        this.selectTool("struts");
        break;
      case "n":
      case "N":
        this.selectTool(null);
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
