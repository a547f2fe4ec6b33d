import type { FrameAnnotations } from "../document/types.js";
import { Tool, type OverlayContext, type ToolPointer } from "./tool.js";

/**
 * A tool that picks frames on the longitudinal view (or Enter / a click on the image for the frame
 * shown), remembering a first pick until the second (stent edges, calcium segments). Moving
 * between frames keeps the half-made pick; Escape forgets it; Delete/Backspace forgets it too, or
 * else removes what the tool made (`removeLast`). Nothing is drawn on the cross-section.
 */
export abstract class FramePairTool extends Tool {
  protected pending: number | null = null;

  /** One frame picked (`onFramePick` below). */
  abstract override onFramePick(frame: number): boolean;
  /** Delete/Backspace without a pending pick; true when something was removed. */
  protected abstract removeLast(): boolean;

  override get hasDraft(): boolean {
    return this.pending !== null;
  }

  /** The first frame picked, while the second is awaited (shown on the longitudinal view). */
  get pendingFrame(): number | null {
    return this.pending;
  }

  override cancelDraft(): void {
    if (this.pending === null) return;
    this.pending = null;
    this.ctx.requestRender();
  }

  override onFrameChange(): void {}

  override onPointerDown(pointer: ToolPointer): boolean {
    if (!this.accepting) return false;
    if (pointer.clickCount >= 2) return true;
    return this.onFramePick(this.ctx.currentFrame());
  }

  override onKeyDown(key: string): boolean {
    if (!this.accepting) return false;
    if (key === "Enter") return this.onFramePick(this.ctx.currentFrame());
    if (key === "Escape" && this.pending !== null) {
      this.cancelDraft();
      return true;
    }
    if (key === "Delete" || key === "Backspace") {
      if (this.pending !== null) {
        this.cancelDraft();
        return true;
      }
      return this.removeLast();
    }
    return false;
  }

  override render(_g: OverlayContext, _frame: Readonly<FrameAnnotations> | undefined): void {}
}
