import type { FrameAnnotations } from "../document/types.js";
import { Tool, type OverlayContext, type ToolPointer } from "./tool.js";

/**
 * Calcium segments (SPEC §4 `calcium_segments`): pick the start frame, then the end frame, on the
 * longitudinal view (or press Enter / click the image for the frame shown); each pair adds one
 * segment. Delete removes the segment covering the frame shown (else the last one).
 */
export class CalciumSegmentTool extends Tool {
  readonly name = "calcium-segments";
  readonly label = "Calcium segment";
  readonly shortcut = "g";
  private pending: number | null = null;

  override get hasDraft(): boolean {
    return this.pending !== null;
  }

  get pendingFrame(): number | null {
    return this.pending;
  }

  override cancelDraft(): void {
    if (this.pending === null) return;
    this.pending = null;
    this.ctx.requestRender();
  }

  override onFrameChange(): void {}

  override onFramePick(frame: number): boolean {
    if (!this.accepting) return false;
    if (this.pending === null) {
      this.pending = frame;
      this.ctx.notify(`Calcium segment starts at frame ${frame}; now pick its end.`);
      this.ctx.requestRender();
      return true;
    }
    const segments = [...(this.ctx.annotations.document.calcium_segments ?? [])];
    segments.push({ start_frame: this.pending, end_frame: frame });
    this.pending = null;
    this.ctx.annotations.setCalciumSegments(segments);
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
      const segments = [...(this.ctx.annotations.document.calcium_segments ?? [])];
      if (segments.length === 0) return false;
      const frame = this.ctx.currentFrame();
      const hit = segments.findIndex((s) => s.start_frame <= frame && frame <= s.end_frame);
      segments.splice(hit >= 0 ? hit : segments.length - 1, 1);
      return this.ctx.annotations.setCalciumSegments(segments);
    }
    return false;
  }

  override render(_g: OverlayContext, _frame: Readonly<FrameAnnotations> | undefined): void {}
}
