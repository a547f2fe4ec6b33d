import type { AnnotationDocument } from "../document/types.js";
import type { FrameLoader } from "./frameLoader.js";

/** Height (samples along the line) of the L-mode assembled in the browser. */
const CLIENT_SAMPLES = 256;
const STENT_COLOUR = "#5fd38d";
const CALCIUM_COLOUR = "#c58cff";
const CURSOR_COLOUR = "#ffd24d";

/** One document drawn on the L-mode in its own colour (adjudication: Reader 1, Reader 2, mine). */
export interface LModeLayer {
  readonly doc: Readonly<AnnotationDocument>;
  readonly colour: string;
  /** Line dash of its stent edges (CSS px); empty for solid. */
  readonly dash: readonly number[];
}

/** Height (CSS px) of each layer's calcium-segment lane along the top of the L-mode. */
const LANE_PX = 6;

export interface LModeOptions {
  /** Server L-mode URL with "{angle}" (whole degrees), or null to assemble it from cached frames. */
  urlTemplate: string | null;
  /** A click picked frame `n` (the page jumps there, or hands it to a longitudinal tool). */
  onPick(frame: number): void;
}

/**
 * Longitudinal (L-mode) view: one line through the image centre at `angleDeg`, frame after
 * frame (x = frame, distal → proximal; y = position along the line, row 0 at `angleDeg`).
 * Draws the stent edges, the calcium segments and the analysis frames on a canvas, redrawn only
 * when they, the image or the size change; the frame cursor is an element of its own above it,
 * moved by a CSS transform (the compositor's work), so scrubbing repaints no canvas here.
 * A click picks a frame. The image comes from the server's L-mode endpoint; when that fails it is
 * assembled here from the cached frames (sampled at 256 points).
 */
const FLAGGED_COLOUR = "#ff5c5c";

export class LModeView {
  private flagged: readonly number[] = [];
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private image: CanvasImageSource | null = null;
  private clientImage: HTMLCanvasElement | null = null;
  private angleDeg = 0;
  private cursor = 0;
  private readonly cursorLine: HTMLElement;
  /** The canvas's width (CSS px) at its last render: where the cursor goes. */
  private renderedWidth = 0;
  private doc: Readonly<AnnotationDocument> = { frames: {} };
  private analysis: readonly number[] = [];
  private pending: Array<{ frame: number; label: string }> = [];
  private layers: readonly LModeLayer[] | null = null;
  private frameRequested = false;
  private building = false;
  private requestId = 0;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    parent: HTMLElement,
    private readonly loader: FrameLoader,
    private readonly columns: number,
    private readonly rows: number,
    private readonly options: LModeOptions,
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "vw-lmode-canvas";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Longitudinal view; click to go to a frame");
    this.element = document.createElement("div");
    this.element.className = "vw-lmode";
    this.cursorLine = document.createElement("div");
    this.cursorLine.className = "vw-lmode-cursor";
    this.cursorLine.style.background = CURSOR_COLOUR;
    this.element.append(this.canvas, this.cursorLine);
    parent.append(this.element);
    this.canvas.addEventListener("click", (ev) => {
      const rect = this.canvas.getBoundingClientRect();
      const x = ev.clientX - rect.left;
      this.options.onPick(this.frameAt(x, rect.width));
    });
    this.resizeObserver = new ResizeObserver(() => this.requestRender());
    this.resizeObserver.observe(this.element);
  }

  get frameCount(): number {
    return this.loader.frameCount;
  }

  /** The frame under a horizontal position of the view (CSS px). */
  frameAt(x: number, width: number): number {
    const n = this.frameCount;
    return Math.min(n - 1, Math.max(0, Math.floor((x / Math.max(1, width)) * n)));
  }

  /** Loads (or assembles) the image at `angleDeg` (SPEC §3 angle, whole degrees). */
  setAngle(angleDeg: number): void {
    this.angleDeg = ((Math.round(angleDeg) % 360) + 360) % 360;
    const id = ++this.requestId;
    if (!this.options.urlTemplate) {
      this.assemble();
      return;
    }
    const img = new Image();
    img.decoding = "async";
    img.onload = () => {
      if (id !== this.requestId) return;
      this.image = img;
      this.requestRender();
    };
    img.onerror = () => {
      if (id !== this.requestId) return;
      // The endpoint is missing or failed: build the view from the frames we have.
      this.options.urlTemplate = null;
      this.assemble();
    };
    img.src = this.options.urlTemplate.split("{angle}").join(String(this.angleDeg));
  }

  get angle(): number {
    return this.angleDeg;
  }

  setCursor(frame: number): void {
    this.cursor = frame;
    this.placeCursor();
  }

  /** The centre of frame `f`'s column, for a view `width` CSS px wide (the inverse of `frameAt`). */
  private xOf(f: number, width: number): number {
    return ((f + 0.5) / this.frameCount) * width;
  }

  private placeCursor(): void {
    this.cursorLine.style.transform = `translateX(${this.xOf(this.cursor, this.renderedWidth).toFixed(2)}px)`;
  }

  setMarks(doc: Readonly<AnnotationDocument>, analysis: readonly number[], pending: Array<{ frame: number; label: string }>): void {
    this.doc = doc;
    this.analysis = analysis;
    this.pending = pending;
    this.requestRender();
  }

  /**
   * Draws several documents at once, each in its colour: stent edges as vertical lines, calcium
   * segments as bars in one lane per layer (so overlapping segments stay distinguishable).
   * Replaces the single document of `setMarks`.
   */
  setLayers(layers: readonly LModeLayer[], analysis: readonly number[], pending: Array<{ frame: number; label: string }>): void {
    this.layers = layers;
    this.analysis = analysis;
    this.pending = pending;
    this.requestRender();
  }

  /** Frames where the readers disagree (the adjudication's flags): red marks along the top. */
  setFlagged(frames: readonly number[]): void {
    this.flagged = frames;
    this.requestRender();
  }

  /** Re-samples frames that arrived since (client-side assembly only). */
  frameCached(): void {
    if (this.options.urlTemplate === null && !this.building) this.assemble();
  }

  private assemble(): void {
    if (this.building) return;
    const n = this.frameCount;
    const canvas = (this.clientImage ??= Object.assign(document.createElement("canvas"), { width: n, height: CLIENT_SAMPLES }));
    this.image = canvas;
    const done = new Set<number>();
    const angle = this.angleDeg;
    const id = this.requestId;
    this.building = true;
    const scratch = document.createElement("canvas");
    scratch.width = CLIENT_SAMPLES;
    scratch.height = 1;
    const sg = scratch.getContext("2d", { willReadFrequently: true });
    const out = canvas.getContext("2d");
    if (!sg || !out) {
      this.building = false;
      return;
    }
    const radius = Math.min(this.rows, this.columns) / 2;
    const step = async (): Promise<void> => {
      for (let f = 0; f < n; f++) {
        if (id !== this.requestId || angle !== this.angleDeg) break;
        if (done.has(f)) continue;
        const blob = this.loader.encodedBlob(f);
        if (!blob) continue;
        const bitmap = await createImageBitmap(blob);
        // Rotate so the line at `angle` lies along the scratch row, centred on the image centre.
        sg.setTransform(1, 0, 0, 1, 0, 0);
        sg.clearRect(0, 0, CLIENT_SAMPLES, 1);
        const s = CLIENT_SAMPLES / (2 * radius);
        const theta = (angle * Math.PI) / 180;
        sg.translate(CLIENT_SAMPLES / 2, 0.5);
        sg.scale(-s, s); // row 0 at `angle`: the first sample is the far end in that direction.
        sg.rotate(-theta);
        sg.drawImage(bitmap, -(this.columns - 1) / 2 - 0.5, -(this.rows - 1) / 2 - 0.5);
        bitmap.close();
        const line = sg.getImageData(0, 0, CLIENT_SAMPLES, 1);
        const column = out.createImageData(1, CLIENT_SAMPLES);
        for (let i = 0; i < CLIENT_SAMPLES; i++) {
          column.data.set(line.data.subarray(i * 4, i * 4 + 4), i * 4);
        }
        out.putImageData(column, f, 0);
        done.add(f);
        if (f % 16 === 0) this.requestRender();
      }
      this.building = false;
      this.requestRender();
      if (id === this.requestId && done.size < n && !this.loader.isComplete) setTimeout(() => this.assemble(), 500);
    };
    void step();
  }

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  private render(): void {
    const rect = this.element.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    const g = this.canvas.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#000";
    g.fillRect(0, 0, width, height);
    if (this.image) {
      g.imageSmoothingEnabled = true;
      g.drawImage(this.image, 0, 0, width, height);
    }
    const xOf = (f: number) => this.xOf(f, width);
    if (this.layers) this.renderLayers(g, this.layers, xOf, height);
    else this.renderDocument(g, xOf, height);
    g.setLineDash([4, 3]);
    for (const p of this.pending) {
      g.strokeStyle = p.label === "stent" ? STENT_COLOUR : CALCIUM_COLOUR;
      g.beginPath();
      g.moveTo(xOf(p.frame), 0);
      g.lineTo(xOf(p.frame), height);
      g.stroke();
    }
    g.setLineDash([]);
    g.fillStyle = FLAGGED_COLOUR;
    for (const f of this.flagged) {
      g.beginPath();
      g.moveTo(xOf(f) - 5, 0);
      g.lineTo(xOf(f) + 5, 0);
      g.lineTo(xOf(f), 8);
      g.fill();
    }
    this.renderedWidth = width;
    this.placeCursor();
  }

  private renderLayers(g: CanvasRenderingContext2D, layers: readonly LModeLayer[], xOf: (f: number) => number, height: number): void {
    g.fillStyle = "#9fb3c8";
    for (const f of this.analysis) g.fillRect(xOf(f) - 0.5, height - 6, 1, 6);
    layers.forEach((layer, i) => {
      const lane = 1 + i * (LANE_PX + 2);
      for (const s of layer.doc.calcium_segments ?? []) {
        const x0 = xOf(s.start_frame);
        const w = Math.max(2, xOf(s.end_frame) - x0);
        g.fillStyle = layer.colour;
        g.globalAlpha = 0.12;
        g.fillRect(x0, 0, w, height);
        g.globalAlpha = 1;
        g.fillRect(x0, lane, w, LANE_PX);
      }
      const stent = layer.doc.stent;
      if (!stent) return;
      g.strokeStyle = layer.colour;
      g.lineWidth = 2;
      g.setLineDash([...layer.dash]);
      for (const f of [stent.distal_frame, stent.proximal_frame]) {
        g.beginPath();
        g.moveTo(xOf(f), 0);
        g.lineTo(xOf(f), height);
        g.stroke();
      }
      g.setLineDash([]);
      // A bracket along the bottom joins the two edges of this layer.
      const y = height - 9 - i * 4;
      g.beginPath();
      g.moveTo(xOf(stent.distal_frame), y);
      g.lineTo(xOf(stent.proximal_frame), y);
      g.stroke();
    });
  }

  private renderDocument(g: CanvasRenderingContext2D, xOf: (f: number) => number, height: number): void {
    // Calcium segments: a band along the top.
    g.fillStyle = CALCIUM_COLOUR;
    for (const s of this.doc.calcium_segments ?? []) {
      const x0 = xOf(s.start_frame);
      g.globalAlpha = 0.3;
      g.fillRect(x0, 0, xOf(s.end_frame) - x0, height);
      g.globalAlpha = 1;
      g.fillRect(x0, 0, Math.max(2, xOf(s.end_frame) - x0), 5);
    }
    // Analysis frames: ticks along the bottom.
    g.fillStyle = "#9fb3c8";
    for (const f of this.analysis) g.fillRect(xOf(f) - 0.5, height - 6, 1, 6);
    // Stent edges.
    const stent = this.doc.stent;
    if (stent) {
      g.strokeStyle = STENT_COLOUR;
      g.lineWidth = 2;
      for (const f of [stent.distal_frame, stent.proximal_frame]) {
        g.beginPath();
        g.moveTo(xOf(f), 0);
        g.lineTo(xOf(f), height);
        g.stroke();
      }
      g.fillStyle = STENT_COLOUR;
      g.globalAlpha = 0.15;
      g.fillRect(xOf(stent.distal_frame), 0, xOf(stent.proximal_frame) - xOf(stent.distal_frame), height);
      g.globalAlpha = 1;
    }
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.element.remove();
  }
}
