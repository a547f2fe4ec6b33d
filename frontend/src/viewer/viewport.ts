import type { CoordinateAdapter } from "../adapter/coordinates.js";
import { fitTransform, imageToScreen, panBy, screenToImage, zoomAt, type PointScreen, type ViewTransform } from "../adapter/transform.js";
import type { PointPx } from "../geometry/types.js";
import type { ViewportAdapter } from "../adapter/viewport.js";
import type { FrameImage, FrameLoader } from "./frameLoader.js";

/**
 * Plain canvas-2D viewport: an image canvas (brightness/contrast as a CSS filter, so overlays
 * stay true-coloured) under an overlay canvas that receives input. Implements the tools'
 * CoordinateAdapter; a Cornerstone3D viewport can replace it behind the same interface.
 */
export class CanvasViewport implements CoordinateAdapter, ViewportAdapter {
  readonly kind = "canvas";
  private shown = -1;
  private imageFrame = -1;
  paintedFrame = -1;
  /** Called each time a frame's pixels reached the screen. */
  onFramePainted: (frame: number) => void = () => {};
  readonly element: HTMLDivElement;
  readonly imageCanvas: HTMLCanvasElement;
  readonly overlayCanvas: HTMLCanvasElement;
  private transform: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };
  private userAdjusted = false;
  private image: FrameImage | null = null;
  private message: string | null = null;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private frameRequested = false;
  private readonly resizeObserver: ResizeObserver;
  /** Draws annotations; called with a context whose units are CSS pixels of the viewport. */
  drawOverlay: (g: CanvasRenderingContext2D) => void = () => {};
  /** Called after zoom/pan/reset. */
  onTransformChange: () => void = () => {};

  constructor(
    parent: HTMLElement,
    readonly columns: number,
    readonly rows: number,
    private readonly loader: FrameLoader | null = null,
  ) {
    this.element = document.createElement("div");
    this.element.className = "vw-viewport";
    this.imageCanvas = document.createElement("canvas");
    this.imageCanvas.className = "vw-image";
    this.imageCanvas.setAttribute("aria-hidden", "true");
    this.overlayCanvas = document.createElement("canvas");
    this.overlayCanvas.className = "vw-overlay";
    this.overlayCanvas.tabIndex = 0;
    this.overlayCanvas.setAttribute("role", "img");
    this.overlayCanvas.setAttribute("aria-label", "OCT frame viewer");
    this.element.append(this.imageCanvas, this.overlayCanvas);
    parent.append(this.element);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.element);
    this.resize();
  }

  get scale(): number {
    return this.transform.scale;
  }

  screenToImage(p: PointScreen): [number, number] {
    return screenToImage(this.transform, p);
  }

  imageToScreen(p: PointPx): [number, number] {
    return imageToScreen(this.transform, p);
  }

  containsImagePoint(p: PointPx): boolean {
    return p[0] >= 0 && p[1] >= 0 && p[0] < this.columns && p[1] < this.rows;
  }

  /** Shows frame `n` from the loader: at once when decoded, else when it arrives. */
  showFrame(n: number): void {
    const loader = this.loader;
    if (!loader) return;
    this.shown = n;
    const cached = loader.peek(n);
    if (cached) {
      this.setImage(cached, null, n);
      return;
    }
    this.setImage(null, `Loading frame ${n + 1}…`);
    loader.get(n).then(
      (image) => {
        if (this.shown === n) this.setImage(image, null, n);
      },
      (err: unknown) => {
        if (this.shown === n) this.setImage(null, err instanceof Error ? err.message : `Frame ${n + 1} failed to load`);
      },
    );
  }

  /** Shows a frame (or, with null, a message instead of a stale image). */
  setImage(image: FrameImage | null, message: string | null = null, frame = -1): void {
    this.image = image;
    this.imageFrame = frame;
    this.message = message;
    this.requestRender();
  }

  zoom(factor: number, anchor?: PointScreen): void {
    this.transform = zoomAt(this.transform, factor, anchor ?? [this.width / 2, this.height / 2]);
    this.userAdjusted = true;
    this.changed();
  }

  pan(dx: number, dy: number): void {
    this.transform = panBy(this.transform, dx, dy);
    this.userAdjusted = true;
    this.changed();
  }

  /** Back to "fit the frame in the viewport". */
  reset(): void {
    this.userAdjusted = false;
    this.transform = fitTransform(this.columns, this.rows, this.width, this.height);
    this.changed();
  }

  /** brightness and contrast as CSS filter factors (1 = unchanged). */
  setBrightnessContrast(brightness: number, contrast: number): void {
    this.imageCanvas.style.filter = brightness === 1 && contrast === 1 ? "" : `brightness(${brightness}) contrast(${contrast})`;
  }

  /** Coalesces redraws into the next animation frame. */
  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.renderNow();
    });
  }

  renderNow(): void {
    this.renderImage();
    this.renderOverlay();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.element.remove();
  }

  private changed(): void {
    this.requestRender();
    this.onTransformChange();
  }

  private resize(): void {
    const rect = this.element.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    const dpr = window.devicePixelRatio || 1;
    if (width === this.width && height === this.height && dpr === this.dpr) return;
    if (this.userAdjusted && this.width > 0) {
      // Keep the same image point at the centre.
      const centre = this.screenToImage([this.width / 2, this.height / 2]);
      this.transform = {
        scale: this.transform.scale,
        offsetX: width / 2 - centre[0] * this.transform.scale,
        offsetY: height / 2 - centre[1] * this.transform.scale,
      };
    } else {
      this.transform = fitTransform(this.columns, this.rows, width, height);
    }
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    for (const canvas of [this.imageCanvas, this.overlayCanvas]) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    this.renderNow();
  }

  private context(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
    const g = canvas.getContext("2d");
    if (!g) return null;
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, this.width, this.height);
    return g;
  }

  private renderImage(): void {
    const g = this.context(this.imageCanvas);
    if (!g) return;
    if (!this.image) return;
    const { scale, offsetX, offsetY } = this.transform;
    g.imageSmoothingEnabled = scale < 4;
    g.drawImage(this.image, offsetX, offsetY, this.columns * scale, this.rows * scale);
    if (this.imageFrame < 0) return;
    this.paintedFrame = this.imageFrame;
    this.onFramePainted(this.imageFrame);
  }

  private renderOverlay(): void {
    const g = this.context(this.overlayCanvas);
    if (!g) return;
    if (this.message) {
      g.fillStyle = "#c9d1dc";
      g.font = "14px system-ui, sans-serif";
      g.textAlign = "center";
      g.fillText(this.message, this.width / 2, this.height / 2);
      return;
    }
    if (this.image) this.drawOverlay(g);
  }
}
