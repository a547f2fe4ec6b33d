import type { FrameAnnotations } from "../document/types.js";
import { Tool, type OverlayContext, type ToolPointer } from "./tool.js";

/**
 * Stent edges (SPEC §4 `stent`): pick a frame on the longitudinal view (or press Enter / click
 * the image for the frame shown). Without edges, the first pick is remembered and the second sets
 * both (the lower index is distal: frames run distal → proximal). With edges, a pick moves the
 * nearer edge. Delete removes both; Escape forgets a half-made pick.
 */
export class StentEdgeTool extends Tool {
  readonly name = "stent-edges";
  readonly label = "Stent edges";
  readonly shortcut = "e";
  private pending: number | null = null;

  override get hasDraft(): boolean {
    return this.pending !== null;
  }

  /** The first edge picked while no stent is set (shown on the longitudinal view). */
  get pendingFrame(): number | null {
    return this.pending;
  }

  override cancelDraft(): void {
    if (this.pending === null) return;
    this.pending = null;
    this.ctx.requestRender();
  }

  // Moving between frames is part of picking the second edge; keep the half-made pick.
  override onFrameChange(): void {}

  override onFramePick(frame: number): boolean {
    if (!this.accepting) return false;
    const stent = this.ctx.annotations.document.stent;
    if (stent) {
      const moveDistal = Math.abs(frame - stent.distal_frame) <= Math.abs(frame - stent.proximal_frame);
      const edges = moveDistal ? { distal_frame: frame, proximal_frame: stent.proximal_frame } : { distal_frame: stent.distal_frame, proximal_frame: frame };
      this.ctx.annotations.setStentEdges(edges);
      this.ctx.notify(`Stent ${moveDistal ? "distal" : "proximal"} edge moved to frame ${frame}.`);
      return true;
    }
    if (this.pending === null) {
      this.pending = frame;
      this.ctx.notify(`First stent edge at frame ${frame}; now pick the other edge.`);
      this.ctx.requestRender();
      return true;
    }
    this.ctx.annotations.setStentEdges({ distal_frame: this.pending, proximal_frame: frame });
    this.pending = null;
    return true;
  }

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
      return this.ctx.annotations.setStentEdges(null);
    }
    return false;
  }

  // Edges live on the longitudinal view; nothing to draw on the cross-section.
  override render(_g: OverlayContext, _frame: Readonly<FrameAnnotations> | undefined): void {}
}
