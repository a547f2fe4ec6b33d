import type { PointPx } from "../geometry/types.js";
import { Tool, type ToolMove, type ToolPointer } from "./tool.js";

/**
 * A measurement made with two clicks inside the image (the first point, then the second), with a
 * draft that follows the pointer in between: the calcium arc and the thickness caliper. Escape
 * cancels the draft; Delete/Backspace cancels it too, or else removes the frame's last
 * measurement of this kind. A double-click adds nothing.
 */
export abstract class TwoClickTool extends Tool {
  protected first: PointPx | null = null;
  protected hover: PointPx | null = null;

  /** Why the tool cannot take a click on the current frame (shown to the reader), or null. */
  protected abstract refusal(): string | null;
  /** Records the measurement from `first` to `second` on the current frame. */
  protected abstract complete(first: PointPx, second: PointPx): void;
  /** Removes the current frame's last measurement of this kind; true when there was one. */
  protected abstract removeLast(): boolean;
  /** Whether `p` may be a point of the measurement (e.g. not the arc's own centre). */
  protected acceptsPoint(_p: PointPx): boolean {
    return true;
  }

  override get hasDraft(): boolean {
    return this.first !== null;
  }

  override cancelDraft(): void {
    if (!this.first) return;
    this.first = null;
    this.hover = null;
    this.ctx.requestRender();
  }

  override onPointerDown(pointer: ToolPointer): boolean {
    if (!this.accepting) return false;
    if (pointer.clickCount >= 2) return true;
    const refusal = this.refusal();
    if (refusal) {
      this.ctx.notify(refusal);
      return true;
    }
    if (!this.ctx.coords.containsImagePoint(pointer.image)) {
      this.ctx.notify("That point is outside the image.");
      return true;
    }
    const p: PointPx = [pointer.image[0], pointer.image[1]];
    if (!this.acceptsPoint(p)) return true;
    if (!this.first) {
      this.first = p;
      this.ctx.requestRender();
      return true;
    }
    if (p[0] === this.first[0] && p[1] === this.first[1]) return true;
    this.complete(this.first, p);
    this.first = null;
    this.hover = null;
    this.ctx.requestRender();
    return true;
  }

  override onPointerMove(pointer: ToolMove | null): void {
    if (!this.accepting || !this.first) return;
    this.hover = pointer ? [pointer.image[0], pointer.image[1]] : null;
    this.ctx.requestRender();
  }

  override onKeyDown(key: string): boolean {
    if (!this.accepting) return false;
    if (key === "Escape" && this.first) {
      this.cancelDraft();
      return true;
    }
    if (key === "Delete" || key === "Backspace") {
      if (this.first) {
        this.cancelDraft();
        return true;
      }
      return this.removeLast();
    }
    return false;
  }
}
