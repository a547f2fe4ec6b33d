import type { AnnotationAdapter } from "../adapter/annotations.js";
import type { CoordinateAdapter } from "../adapter/coordinates.js";
import type { FrameAnnotations } from "../document/types.js";
import type { PixelSpacingMm } from "../geometry/types.js";

/**
 * Explicit tool modes (after Cornerstone3D):
 * - `active`: receives pointer and key input and renders its annotations;
 * - `passive`: renders its annotations, ignores input (another tool is active, or read-only);
 * - `disabled`: neither renders nor reacts.
 */
export type ToolMode = "active" | "passive" | "disabled";

/** One primary-button press on the viewport, in both coordinate systems. */
export interface ToolPointer {
  /** CSS pixels relative to the viewport element. */
  readonly screen: readonly [number, number];
  /** Image pixels of the current frame [x = column, y = row]. */
  readonly image: readonly [number, number];
  /** 1 for a single press, 2 for the second press of a double-click. */
  readonly clickCount: number;
  /** Shift held (contour tools: remove the vertex under the pointer). */
  readonly shift?: boolean;
}

/** Pointer movement; `dragging` while the primary button is held after a consumed press. */
export interface ToolMove {
  readonly screen: readonly [number, number];
  readonly image: readonly [number, number];
  readonly dragging?: boolean;
}

/**
 * One colour (and dash pattern) for every saved annotation a tool draws, instead of the tools'
 * own colours: the adjudication page draws several readers' documents on one frame and tells
 * them apart by layer (colour-blind-safe colour + dash), not by tool.
 */
export interface LayerStyle {
  readonly colour: string;
  /** Canvas line dash in CSS px; empty for solid lines. */
  readonly dash: readonly number[];
}

/** What the viewer hands to a tool; tools see no canvas, DOM or viewer-library object. */
export interface ToolContext {
  readonly coords: CoordinateAdapter;
  readonly annotations: AnnotationAdapter;
  /** The frame shown now (0-based). */
  currentFrame(): number;
  /** Ask for an overlay redraw (draft state changed). */
  requestRender(): void;
  /** Show a short message to the reader (e.g. why a contour cannot be closed). */
  notify(message: string): void;
  /** [row, column] mm per pixel, for live readouts while drawing; null/absent when uncalibrated. */
  pixelSpacingMm?: PixelSpacingMm | null;
  /** Number of frames in the pullback (longitudinal tools). */
  frameCount?: number;
  /** When set, saved annotations are drawn in this layer's style (drafts keep theirs). */
  layerStyle?: LayerStyle | null;
}

/** Draws with image-pixel points already converted to screen by the caller's adapter. */
export type OverlayContext = CanvasRenderingContext2D;

export abstract class Tool {
  abstract readonly name: string;
  abstract readonly label: string;
  /** Single-key shortcut that activates the tool. */
  abstract readonly shortcut: string;
  private _mode: ToolMode = "passive";

  constructor(protected readonly ctx: ToolContext) {}

  get mode(): ToolMode {
    return this._mode;
  }

  setMode(mode: ToolMode): void {
    if (mode === this._mode) return;
    const wasActive = this._mode === "active";
    this._mode = mode;
    if (wasActive && mode !== "active") this.cancelDraft();
    this.ctx.requestRender();
  }

  /** The colour of saved annotations: the layer's when drawn as a layer, else `own`. */
  protected savedColour(own: string): string {
    return this.ctx.layerStyle?.colour ?? own;
  }

  /** The line dash of saved annotations (solid unless drawn as a dashed layer). */
  protected savedDash(): number[] {
    return [...(this.ctx.layerStyle?.dash ?? [])];
  }

  /** Input is accepted only when active and the document is editable. */
  protected get accepting(): boolean {
    return this._mode === "active" && !this.ctx.annotations.readOnly;
  }

  /** @returns true when the press was consumed. */
  onPointerDown(_pointer: ToolPointer): boolean {
    return false;
  }

  onPointerMove(_pointer: ToolMove | null): void {}

  /** The primary button was released (ends a drag). */
  onPointerUp(): void {}

  /**
   * A frame was picked on the longitudinal view (or "this frame" was requested).
   * @returns true when the tool used it (otherwise the viewer jumps to that frame).
   */
  onFramePick(_frame: number): boolean {
    return false;
  }

  /** @returns true when the key was consumed. */
  onKeyDown(_key: string): boolean {
    return false;
  }

  /** Called after the viewer moved to another frame. */
  onFrameChange(): void {
    this.cancelDraft();
  }

  /** Whether the tool holds unfinished input (e.g. an open contour). */
  get hasDraft(): boolean {
    return false;
  }

  cancelDraft(): void {}

  /** Draws this tool's annotations of the current frame (and its draft) on the overlay. */
  abstract render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void;
}
