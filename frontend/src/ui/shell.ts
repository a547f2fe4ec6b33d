/**
 * The viewer shell shared by the reading page and the adjudication workbench: load errors,
 * viewport creation with its fallback, the navigation bar (slider, 1-based counter with the
 * position in mm, cine), image controls (brightness, contrast, L-mode angle), tool buttons,
 * calibration list, the overlays every pane draws and the common keymap. Each app keeps only
 * what is its own.
 */
import type { ViewportAdapter } from "../adapter/viewport.js";
import { ApiError, type PullbackResponse } from "../api/client.js";
import type { FrameAnnotations } from "../document/types.js";
import { frameMetrics } from "../geometry/frameMetrics.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import type { CalciumSegmentTool } from "../tools/CalciumSegmentTool.js";
import type { StentEdgeTool } from "../tools/StentEdgeTool.js";
import { overlayText } from "../tools/overlayText.js";
import type { Tool } from "../tools/tool.js";
import { TOOL_ENTRIES, type ToolName } from "../tools/toolSet.js";
import type { FrameLoader } from "../viewer/frameLoader.js";
import { isTypingTarget } from "../viewer/frameViewer.js";
import { CanvasViewport } from "../viewer/viewport.js";
import { h } from "./dom.js";
import { formatCalibration, framePositionMm, pixelSpacingText } from "./format.js";
import type { HelpOverlay } from "./helpOverlay.js";
import { LabelPlacer } from "./labelPlacer.js";
import type { StatusBar } from "./statusBar.js";
import { viewerStats } from "./stats.js";

/** Shows a readable failure in place of the viewer. */
export function renderFatal(root: HTMLElement, title: string, detail: string): void {
  root.replaceChildren(h("div", { class: "vw-fatal", role: "alert" }, h("h2", {}, title), h("p", {}, detail)));
}

export function describeLoadError(err: unknown, notFound: string): string {
  if (err instanceof ApiError) {
    if (err.status === 404) return notFound;
    if (err.status === 401 || err.status === 403) return "Your session has expired or lacks access; sign in again.";
    return `${err.detail} (HTTP ${err.status || "—"})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Builds the cross-section viewport; the Cornerstone3D one is tried first (see README). */
export type ViewportFactory = (parent: HTMLElement, pullback: PullbackResponse, loader: FrameLoader) => Promise<ViewportAdapter>;

export const canvasViewportFactory: ViewportFactory = (parent, pullback, loader) =>
  Promise.resolve(new CanvasViewport(parent, pullback.columns, pullback.rows, loader));

const INTERIM_WAIT_MS = 300;

/**
 * The factory's viewport, else the canvas one; counted by the page statistics. With `interim`,
 * a canvas viewport shows frame 0 while a slower factory (Cornerstone3D loads and initialises)
 * starts, and gives way as soon as the factory's viewport joins the page.
 */
export async function createViewport(
  factory: ViewportFactory,
  parent: HTMLElement,
  pullback: PullbackResponse,
  loader: FrameLoader,
  options: { interim?: boolean } = {},
): Promise<ViewportAdapter> {
  const stats = viewerStats();
  let interim: CanvasViewport | null = null;
  let observer: MutationObserver | null = null;
  if (options.interim && factory !== canvasViewportFactory) {
    const poster = new CanvasViewport(parent, pullback.columns, pullback.rows, loader);
    // The factory's start takes the main thread (Cornerstone's evaluation and start, ~0.2 s in
    // short tasks): frame 0 is painted first (or the factory starts anyway after INTERIM_WAIT_MS).
    const painted = new Promise<void>((resolve) => {
      poster.onFramePainted = () => {
        stats.pixels();
        resolve();
      };
      setTimeout(resolve, INTERIM_WAIT_MS);
    });
    // A picture only: no input, not the viewer's overlay (tests and tools find one).
    poster.element.setAttribute("aria-hidden", "true");
    poster.overlayCanvas.className = "vw-interim";
    poster.overlayCanvas.removeAttribute("role");
    poster.overlayCanvas.tabIndex = -1;
    poster.showFrame(0);
    interim = poster;
    await painted;
    observer = new MutationObserver(() => {
      if ([...parent.children].some((child) => child !== poster.element)) poster.element.hidden = true;
    });
    observer.observe(parent, { childList: true });
  }
  let viewport: ViewportAdapter;
  try {
    viewport = await factory(parent, pullback, loader);
  } catch (err) {
    console.warn("viewer: falling back to the canvas viewport:", err);
    viewport = await canvasViewportFactory(parent, pullback, loader);
  } finally {
    observer?.disconnect();
    interim?.dispose();
  }
  viewport.onFramePainted = (frame) => stats.painted(frame);
  // Cornerstone paints frame 0 before it joins the page (CornerstoneViewport.create).
  if (viewport.paintedFrame >= 0) stats.painted(viewport.paintedFrame);
  return viewport;
}

/** Why a pullback cannot be shown, or null when it can. */
export function unshowablePullback(pullback: PullbackResponse): [string, string] | null {
  if (pullback.status === "failed") return ["This pullback cannot be shown yet", `Ingest failed: ${pullback.error ?? "no reason recorded"}`];
  if (pullback.status === "ingesting") return ["This pullback cannot be shown yet", "The pullback is still being ingested; reload this page in a moment."];
  if (!(pullback.n_frames > 0 && pullback.rows > 0 && pullback.columns > 0)) return ["This pullback cannot be shown", "It has no frames."];
  return null;
}

export function pixelSpacingOf(pullback: PullbackResponse): PixelSpacingMm | null {
  const ps = pullback.pixel_spacing_mm;
  return ps && ps.length === 2 && ps.every((v) => Number.isFinite(v) && v > 0) ? [ps[0], ps[1]] : null;
}

/** "frame 12 / 90 · 2.20 mm": frames count from 1 on screen (the data stay 0-based). */
export function frameLabel(frame: number, nFrames: number, frameSpacingMm: number | null): { text: string; aria: string } {
  const position = framePositionMm(frame, frameSpacingMm);
  const positionText = position === null ? "—" : `${position.toFixed(2)} mm`;
  return { text: `frame ${frame + 1} / ${nFrames} · ${positionText}`, aria: `frame ${frame + 1} of ${nFrames}, ${positionText}` };
}

const CINE_RATES = [5, 10, 15, 20, 30, 60];

export interface NavTarget {
  frame(): number;
  frameCount(): number;
  goTo(frame: number): void;
}

/** Slider (with optional analysis ticks), counter, and optionally cine and analysis-frame jumps. */
export class NavBar {
  readonly element: HTMLElement;
  readonly slider: HTMLInputElement;
  readonly ticks: HTMLElement;
  readonly counter: HTMLElement;
  private playButton: HTMLButtonElement | null = null;
  private rateSelect: HTMLSelectElement | null = null;
  private cine: { handle: number; last: number; carry: number } | null = null;

  constructor(
    private readonly target: NavTarget,
    private readonly pullback: PullbackResponse,
    options: { cine?: boolean; jump?: (direction: 1 | -1) => void } = {},
  ) {
    this.slider = h("input", { type: "range", class: "vw-slider", min: 0, max: pullback.n_frames - 1, step: 1, value: 0, "aria-label": "Frame" });
    this.slider.addEventListener("input", () => target.goTo(Number(this.slider.value)));
    this.ticks = h("div", { class: "vw-ticks", "aria-hidden": "true", title: "Analysis frames (SPEC §5)" });
    this.counter = h("span", { class: "vw-counter", "data-readout": "counter", title: "Frame (counted from 1) and its position along the pullback" });
    const parts: HTMLElement[] = [];
    if (options.jump) {
      const jump = options.jump;
      const prev = h(
        "button",
        { type: "button", class: "vw-button vw-dark", title: "Previous analysis frame ([)", "aria-label": "Previous analysis frame" },
        "⇤",
      );
      const next = h("button", { type: "button", class: "vw-button vw-dark", title: "Next analysis frame (])", "aria-label": "Next analysis frame" }, "⇥");
      prev.addEventListener("click", () => jump(-1));
      next.addEventListener("click", () => jump(1));
      parts.push(prev);
      if (options.cine) parts.push(this.cineControls()[0]);
      parts.push(next);
      if (this.rateSelect) parts.push(this.rateSelect);
    } else if (options.cine) parts.push(...this.cineControls());
    this.element = h("div", { class: "vw-navbar" }, ...parts, h("div", { class: "vw-sliderbox" }, this.slider, this.ticks), this.counter);
  }

  private cineControls(): [HTMLButtonElement, HTMLSelectElement] {
    this.playButton = h("button", { type: "button", class: "vw-button vw-dark", "aria-label": "Play cine", title: "Play / pause (P)" }, "▶");
    this.playButton.addEventListener("click", () => this.toggleCine());
    this.rateSelect = h("select", { class: "vw-rate", "aria-label": "Cine rate (frames per second)" });
    for (const rate of CINE_RATES) this.rateSelect.append(h("option", { value: rate, selected: rate === 15 }, `${rate} fps`));
    return [this.playButton, this.rateSelect];
  }

  /** Moves the slider and counter to `frame`. */
  show(frame: number): void {
    this.slider.value = String(frame);
    const label = frameLabel(frame, this.pullback.n_frames, this.pullback.frame_spacing_mm);
    this.counter.textContent = label.text;
    this.slider.setAttribute("aria-valuetext", label.aria);
  }

  setTicks(frames: readonly number[]): void {
    const n = Math.max(1, this.pullback.n_frames - 1);
    this.ticks.replaceChildren(...frames.map((f) => h("span", { class: "vw-tick", style: `left: ${(f / n) * 100}%` })));
  }

  toggleCine(): void {
    if (!this.playButton || !this.rateSelect) return;
    if (this.cine) {
      cancelAnimationFrame(this.cine.handle);
      this.cine = null;
      this.playButton.textContent = "▶";
      this.playButton.setAttribute("aria-label", "Play cine");
      return;
    }
    const rateSelect = this.rateSelect;
    const tick = (now: number) => {
      if (!this.cine) return;
      const rate = Number(rateSelect.value) || 15;
      this.cine.carry += ((now - this.cine.last) / 1000) * rate;
      this.cine.last = now;
      const steps = Math.floor(this.cine.carry);
      if (steps > 0) {
        this.cine.carry -= steps;
        const next = this.target.frame() + steps;
        this.target.goTo(next >= this.target.frameCount() ? 0 : next);
      }
      this.cine.handle = requestAnimationFrame(tick);
    };
    this.cine = { handle: requestAnimationFrame(tick), last: performance.now(), carry: 0 };
    this.playButton.textContent = "❚❚";
    this.playButton.setAttribute("aria-label", "Pause cine");
  }
}

/** Brightness, contrast, L-mode angle and the view buttons (one set for all panes). */
export class ImageControls {
  readonly elements: HTMLElement[];
  readonly angle: HTMLInputElement;
  private readonly brightness: HTMLInputElement;
  private readonly contrast: HTMLInputElement;

  constructor(hooks: { adjust(brightness: number, contrast: number): void; angle(deg: number): void; zoom?(direction: 1 | -1): void; resetView(): void }) {
    const range = (label: string, min: number, max: number, step: number, onInput: () => void) => {
      const input = h("input", { type: "range", min, max, step, value: min === 0 ? 0 : 1, "aria-label": label });
      input.addEventListener("input", onInput);
      return input;
    };
    const adjust = () => hooks.adjust(Number(this.brightness.value), Number(this.contrast.value));
    this.brightness = range("Brightness", 0.2, 3, 0.05, adjust);
    this.contrast = range("Contrast", 0.2, 3, 0.05, adjust);
    this.angle = range("L-mode angle", 0, 355, 5, () => hooks.angle(Number(this.angle.value)));
    const buttons: HTMLButtonElement[] = [];
    if (hooks.zoom) {
      const zoom = (d: 1 | -1) => hooks.zoom?.(d);
      const zoomOut = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−");
      const zoomIn = h("button", { type: "button", class: "vw-button", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
      zoomOut.addEventListener("click", () => zoom(-1));
      zoomIn.addEventListener("click", () => zoom(1));
      buttons.push(zoomOut, zoomIn);
    }
    const reset = h("button", { type: "button", class: "vw-button", "aria-label": "Reset view", title: "Reset view (R)" }, "Reset view");
    reset.addEventListener("click", () => {
      this.reset();
      hooks.resetView();
    });
    buttons.push(reset);
    this.elements = [
      h("h2", {}, "Image"),
      h("label", { class: "vw-range" }, "Brightness", this.brightness),
      h("label", { class: "vw-range" }, "Contrast", this.contrast),
      h("label", { class: "vw-range" }, "L-mode angle", this.angle),
      h("div", { class: "vw-row" }, ...buttons),
    ];
    this.adjustNow = adjust;
  }

  private readonly adjustNow: () => void;

  /** Brightness and contrast back to 1 (the R key and the reset button). */
  reset(): void {
    this.brightness.value = "1";
    this.contrast.value = "1";
    this.adjustNow();
  }
}

/** The tool buttons (Navigate + the OCT tools) with their keys. */
export class ToolButtons {
  readonly element: HTMLElement;
  private readonly buttons = new Map<ToolName | null, HTMLButtonElement>();

  constructor(label: string, onSelect: (name: ToolName | null) => void) {
    this.element = h("div", { class: "vw-toolgroup", role: "group", "aria-label": label });
    for (const [name, text, key] of TOOL_ENTRIES) {
      const button = h(
        "button",
        {
          type: "button",
          class: "vw-button vw-tool",
          "aria-pressed": "false",
          "aria-keyshortcuts": key,
          "data-tool": name ?? "navigate",
          title: `${text} (${key})`,
        },
        `${text} `,
        h("kbd", {}, key),
      );
      button.addEventListener("click", () => onSelect(name));
      this.buttons.set(name, button);
      this.element.append(button);
    }
  }

  /** Marks `chosen` pressed; every tool but Navigate disabled when not editable. */
  show(tools: Record<ToolName, Tool>, chosen: ToolName | null, editable: boolean): void {
    for (const [toolName, tool] of Object.entries(tools)) tool.setMode(toolName === chosen ? "active" : "passive");
    for (const [toolName, button] of this.buttons) {
      button.setAttribute("aria-pressed", String(toolName === chosen));
      button.disabled = !editable && toolName !== null;
    }
  }
}

/** The tool a key selects, if any. */
export function toolForKey(key: string): [ToolName | null] | null {
  const entry = TOOL_ENTRIES.find(([, , k]) => k.toLowerCase() === key.toLowerCase());
  return entry ? [entry[0]] : null;
}

/** Undo / redo buttons bound to `store()` (the store may change, e.g. the adjudicator's own). */
export function undoRedoButtons(undo: () => void, redo: () => void): [HTMLButtonElement, HTMLButtonElement] {
  const undoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Undo", title: "Undo (Ctrl+Z)" }, "↶ Undo");
  const redoButton = h("button", { type: "button", class: "vw-button", "aria-label": "Redo", title: "Redo (Ctrl+Shift+Z)" }, "↷ Redo");
  undoButton.addEventListener("click", undo);
  redoButton.addEventListener("click", redo);
  return [undoButton, redoButton];
}

/** The calibration the measurements use. */
export function calibrationList(pullback: PullbackResponse, strutThresholdUm: number): HTMLElement[] {
  return [
    h("h2", {}, "Calibration"),
    h(
      "dl",
      { class: "vw-readout" },
      h("dt", {}, "Pixel spacing"),
      h("dd", { "data-readout": "pixel_spacing" }, pixelSpacingText(pullback.pixel_spacing_mm)),
      h("dt", {}, "Frame spacing"),
      h("dd", { "data-readout": "frame_spacing" }, pullback.frame_spacing_mm ? `${formatCalibration(pullback.frame_spacing_mm)} mm` : "unknown"),
      h("dt", {}, "Calibration source"),
      h("dd", {}, pullback.calibration_source || "—"),
      h("dt", {}, "Strut threshold"),
      h("dd", {}, `${formatCalibration(strutThresholdUm)} µm`),
    ),
  ];
}

/** Stent-edge and calcium-segment clicks waiting for their second frame, for the L-mode. */
export function pendingMarks(tools: Record<ToolName, Tool>): Array<{ frame: number; label: string }> {
  const pending: Array<{ frame: number; label: string }> = [];
  const edge = (tools["stent-edges"] as StentEdgeTool).pendingFrame;
  const seg = (tools["calcium-segments"] as CalciumSegmentTool).pendingFrame;
  if (edge !== null) pending.push({ frame: edge, label: "stent" });
  if (seg !== null) pending.push({ frame: seg, label: "calcium" });
  return pending;
}

/** The L-mode line through the image centre, so the reader sees where the L-mode cuts. */
export function drawLModeLine(g: CanvasRenderingContext2D, viewport: ViewportAdapter, pullback: PullbackResponse, angleDeg: number): void {
  const theta = (angleDeg * Math.PI) / 180;
  const cx = (pullback.columns - 1) / 2;
  const cy = (pullback.rows - 1) / 2;
  const r = Math.min(pullback.rows, pullback.columns) / 2;
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

/**
 * Each strut's malapposition (µm) beside it, never overlapping another label (`placer` is shared
 * by the layers of one pane); malapposed struts get a red ring and a red label.
 */
export function drawStrutLabels(
  g: CanvasRenderingContext2D,
  viewport: ViewportAdapter,
  frame: FrameAnnotations | undefined,
  spacing: PixelSpacingMm | null,
  strutThresholdUm: number,
  placer: LabelPlacer,
  colour = "#b8f5c8",
): void {
  if (!spacing || !frame?.struts?.length) return;
  const m = frameMetrics(frame, spacing, strutThresholdUm);
  if (!m.struts) return;
  g.save();
  g.font = "600 12px system-ui, sans-serif";
  m.struts.forEach((s, i) => {
    if (s.distanceUm === null) return;
    const [x, y] = viewport.imageToScreen(frame.struts![i]!);
    if (s.malapposed) {
      g.strokeStyle = "#ff4d4d";
      g.lineWidth = 1.5;
      g.beginPath();
      g.arc(x, y, 7, 0, Math.PI * 2);
      g.stroke();
    }
    const text = s.distanceUm.toFixed(0);
    const box = placer.place(x, y, g.measureText(text).width + 2, 13);
    overlayText(g, text, box.x + 1, box.y + 11, s.malapposed ? "#ff4d4d" : colour);
  });
  g.restore();
}

export { LabelPlacer };

/** What the common keymap does on the page's behalf. */
export interface KeyHooks {
  readonly help: HelpOverlay;
  readonly slider: HTMLInputElement;
  /** False: the key is not the viewer's (typing in a form, a dialog open). */
  ownsKey(ev: KeyboardEvent): boolean;
  undo(): void;
  redo(): void;
  zoom(direction: 1 | -1): void;
  resetView(): void;
  step(delta: number): void;
  goTo(frame: number): void;
  lastFrame(): number;
  /** The page's own keys (tools, layers, proposal…), tried before navigation. */
  pageKey(key: string, ev: KeyboardEvent): boolean;
}

const NAV_STEPS: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, PageDown: 10, PageUp: -10 };

/** The keymap both viewer pages share (see the help overlays). */
export function handleViewerKey(ev: KeyboardEvent, k: KeyHooks): void {
  if (ev.defaultPrevented || ev.altKey) return;
  if (k.help.isOpen) {
    if (ev.key === "Escape" || ev.key === "?") {
      ev.preventDefault();
      k.help.close();
    }
    return;
  }
  if (isTypingTarget(ev.target) || !k.ownsKey(ev)) return;
  const key = ev.key;
  if (ev.ctrlKey || ev.metaKey) {
    const lower = key.toLowerCase();
    if (lower === "z" && !ev.shiftKey) k.undo();
    else if ((lower === "z" && ev.shiftKey) || lower === "y") k.redo();
    else if (key === "+" || key === "=") k.zoom(1);
    else if (key === "-") k.zoom(-1);
    else return;
    ev.preventDefault();
    return;
  }
  // Enter/Space on a focused button is that button's click, not a tool command.
  if (ev.target instanceof HTMLButtonElement && (key === "Enter" || key === " ")) return;
  if (ev.target instanceof HTMLSelectElement) return;
  if (k.pageKey(key, ev)) {
    ev.preventDefault();
    return;
  }
  const onSlider = ev.target === k.slider;
  const step = NAV_STEPS[key];
  if (step !== undefined) {
    if (onSlider) return;
    k.step(step);
  } else if (key === "Home" || key === "End") {
    if (onSlider) return;
    k.goTo(key === "Home" ? 0 : k.lastFrame());
  } else if (key === "+" || key === "=") k.zoom(1);
  else if (key === "-" || key === "_") k.zoom(-1);
  else if (key === "r" || key === "R") k.resetView();
  else if (key === "?") k.help.open();
  else return;
  ev.preventDefault();
}

/** The status line's save / progress wiring every page shares. */
export function bindLoaderProgress(loader: FrameLoader, status: StatusBar): void {
  const stats = viewerStats();
  loader.onProgress = (loaded, total, failed) => {
    status.setProgress(loaded, total, failed);
    stats.progress(loaded, total);
  };
}
