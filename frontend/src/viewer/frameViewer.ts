import type { ViewportAdapter } from "../adapter/viewport.js";
import { FrameLoader } from "./frameLoader.js";

/** A primary-button press handed to the active tool. */
export interface ViewerPress {
  screen: [number, number];
  image: [number, number];
  clickCount: number;
  shift: boolean;
}

export interface FrameViewerHooks {
  /** Primary-button press not used for panning; return true when a tool consumed it. */
  onPress?(press: ViewerPress): boolean;
  /** Pointer moved over the viewport (null when it left). */
  onHover?(hover: { screen: [number, number]; image: [number, number]; dragging: boolean } | null): void;
  /** Primary button released after a consumed press (ends a drag). */
  onRelease?(): void;
  /** The shown frame changed (before its image has loaded). */
  onFrameChange?(frame: number): void;
}

/** Presses this close in time (ms) and space (CSS px) count as a double-click. */
const DOUBLE_CLICK_MS = 400;
const DOUBLE_CLICK_PX = 4;
/** Wheel travel (CSS px) per frame step; one mouse-wheel notch is ~100. */
const WHEEL_STEP_PX = 40;
const ZOOM_STEP = 1.25;

/**
 * Frame navigation and view interaction on top of the canvas viewport:
 * wheel = ±1 frame, ctrl/⌘+wheel = zoom at the cursor, middle-drag or space+drag = pan.
 */
export class FrameViewer {
  readonly viewport: ViewportAdapter;
  private current = -1;
  private wheelAccumulator = 0;
  private spaceHeld = false;
  private panning: { pointerId: number; x: number; y: number } | null = null;
  private lastPress: { time: number; x: number; y: number; count: number } | null = null;
  private pressing: number | null = null;
  private readonly cleanup: Array<() => void> = [];

  constructor(
    viewport: ViewportAdapter,
    readonly loader: FrameLoader,
    private readonly hooks: FrameViewerHooks = {},
  ) {
    this.viewport = viewport;
    this.bindInput();
  }

  get frame(): number {
    return this.current;
  }

  get frameCount(): number {
    return this.loader.frameCount;
  }

  /** Shows frame `n` (clamped to the pullback). */
  goTo(n: number): void {
    const target = Math.min(this.frameCount - 1, Math.max(0, Math.round(n)));
    if (target === this.current || this.frameCount === 0) return;
    this.current = target;
    this.loader.setFocus(target);
    this.hooks.onFrameChange?.(target);
    this.viewport.showFrame(target);
  }

  step(delta: number): void {
    this.goTo(this.current + delta);
  }

  zoomIn(): void {
    this.viewport.zoom(ZOOM_STEP);
  }

  zoomOut(): void {
    this.viewport.zoom(1 / ZOOM_STEP);
  }

  resetView(): void {
    this.viewport.reset();
  }

  dispose(): void {
    for (const fn of this.cleanup) fn();
    this.loader.stop();
    this.viewport.dispose();
  }

  private listen<K extends keyof HTMLElementEventMap>(
    target: HTMLElement,
    type: K,
    handler: (ev: HTMLElementEventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    target.addEventListener(type, handler, options);
    this.cleanup.push(() => target.removeEventListener(type, handler, options));
  }

  private listenWindow<K extends keyof WindowEventMap>(type: K, handler: (ev: WindowEventMap[K]) => void): void {
    window.addEventListener(type, handler);
    this.cleanup.push(() => window.removeEventListener(type, handler));
  }

  private localPoint(ev: MouseEvent): [number, number] {
    // The overlay covers the viewport element exactly; both coordinate systems start there.
    const rect = this.viewport.overlayCanvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }

  private bindInput(): void {
    const surface = this.viewport.overlayCanvas;

    this.listen(
      surface,
      "wheel",
      (ev) => {
        ev.preventDefault();
        if (ev.ctrlKey || ev.metaKey) {
          this.viewport.zoom(ev.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, this.localPoint(ev));
          return;
        }
        const pixels = ev.deltaMode === WheelEvent.DOM_DELTA_LINE ? ev.deltaY * 16 : ev.deltaMode === WheelEvent.DOM_DELTA_PAGE ? ev.deltaY * 400 : ev.deltaY;
        this.wheelAccumulator += pixels;
        if (Math.abs(this.wheelAccumulator) >= WHEEL_STEP_PX) {
          this.step(Math.sign(this.wheelAccumulator));
          this.wheelAccumulator = 0;
        }
      },
      { passive: false },
    );

    // Stop the browser's middle-button autoscroll.
    this.listen(surface, "mousedown", (ev) => {
      if (ev.button === 1) ev.preventDefault();
    });

    this.listen(surface, "pointerdown", (ev) => {
      surface.focus({ preventScroll: true });
      const point = this.localPoint(ev);
      if (ev.button === 1 || (ev.button === 0 && this.spaceHeld)) {
        ev.preventDefault();
        this.panning = { pointerId: ev.pointerId, x: ev.clientX, y: ev.clientY };
        surface.setPointerCapture(ev.pointerId);
        surface.classList.add("is-panning");
        return;
      }
      if (ev.button !== 0) return;
      const clickCount = this.countClicks(point, ev.timeStamp);
      const consumed = this.hooks.onPress?.({
        screen: point,
        image: this.viewport.screenToImage(point),
        clickCount,
        shift: ev.shiftKey,
      });
      if (consumed) {
        ev.preventDefault();
        this.pressing = ev.pointerId;
        surface.setPointerCapture(ev.pointerId);
      }
    });

    this.listen(surface, "pointermove", (ev) => {
      if (this.panning && ev.pointerId === this.panning.pointerId) {
        this.viewport.pan(ev.clientX - this.panning.x, ev.clientY - this.panning.y);
        this.panning.x = ev.clientX;
        this.panning.y = ev.clientY;
        return;
      }
      const point = this.localPoint(ev);
      this.hooks.onHover?.({ screen: point, image: this.viewport.screenToImage(point), dragging: this.pressing === ev.pointerId });
    });

    const endPan = (ev: PointerEvent) => {
      if (this.pressing === ev.pointerId) {
        this.pressing = null;
        this.hooks.onRelease?.();
      }
      if (this.panning && ev.pointerId === this.panning.pointerId) {
        this.panning = null;
        surface.classList.remove("is-panning");
      }
    };
    this.listen(surface, "pointerup", endPan);
    this.listen(surface, "pointercancel", endPan);
    this.listen(surface, "pointerleave", () => this.hooks.onHover?.(null));

    this.listenWindow("keydown", (ev) => {
      if (ev.key !== " " || isTypingTarget(ev.target)) return;
      if (ev.target instanceof HTMLButtonElement || ev.target instanceof HTMLInputElement) return;
      // Elsewhere on the page (a link, the adjudication form) Space keeps its own meaning.
      const t = ev.target;
      if (t instanceof HTMLElement && t !== document.body && !this.viewport.element.contains(t)) return;
      ev.preventDefault();
      if (!this.spaceHeld) {
        this.spaceHeld = true;
        surface.classList.add("can-pan");
      }
    });
    this.listenWindow("keyup", (ev) => {
      if (ev.key !== " ") return;
      this.spaceHeld = false;
      surface.classList.remove("can-pan");
    });
    this.listenWindow("blur", () => {
      this.spaceHeld = false;
      surface.classList.remove("can-pan");
    });
  }

  private countClicks(point: [number, number], time: number): number {
    const last = this.lastPress;
    const repeat = last !== null && time - last.time <= DOUBLE_CLICK_MS && Math.hypot(point[0] - last.x, point[1] - last.y) <= DOUBLE_CLICK_PX;
    const count = repeat ? last.count + 1 : 1;
    this.lastPress = { time, x: point[0], y: point[1], count };
    return count;
  }
}

/** Whether keyboard input belongs to a text field rather than the viewer. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["range", "checkbox", "radio", "button"].includes(target.type);
}
