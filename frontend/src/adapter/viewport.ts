import type { CoordinateAdapter } from "./coordinates.js";
import type { PointScreen } from "./transform.js";

/**
 * The cross-section viewport as the page sees it, whichever library draws the pixels
 * (canvas 2D or Cornerstone3D). Tools only see its CoordinateAdapter part; the overlay canvas on
 * top receives input and shows the annotations in image-pixel coordinates converted here.
 */
export interface ViewportAdapter extends CoordinateAdapter {
  /** "canvas" or "cornerstone" (shown in the status bar and read by the benchmark). */
  readonly kind: string;
  readonly element: HTMLElement;
  readonly overlayCanvas: HTMLCanvasElement;
  /** Draws annotations; called with a context whose units are CSS pixels of the viewport. */
  drawOverlay: (g: CanvasRenderingContext2D) => void;
  /** Called each time a frame's pixels reached the screen. */
  onFramePainted: (frame: number) => void;
  /** The frame whose pixels are on screen, -1 before the first paint (which may come before onFramePainted is set). */
  readonly paintedFrame: number;
  /** Shows frame `n` (0-based) as soon as its pixels are available. */
  showFrame(frame: number): void;
  zoom(factor: number, anchor?: PointScreen): void;
  pan(dx: number, dy: number): void;
  /** Back to "fit the frame in the viewport". */
  reset(): void;
  /** brightness and contrast factors (1 = unchanged). */
  setBrightnessContrast(brightness: number, contrast: number): void;
  /** Redraws the overlay (and the image when needed) on the next animation frame. */
  requestRender(): void;
  /**
   * Optional: prepares every frame for instant display (e.g. decoded into the library's cache),
   * nearest to `current()` first, in the background. Resolves when done.
   */
  warmUp?(current: () => number): Promise<void>;
  dispose(): void;
}
