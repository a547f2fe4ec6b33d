import { FramePairTool } from "./FramePairTool.js";

/**
 * Calcium segments (SPEC §4 `calcium_segments`): pick the start frame, then the end frame, on the
 * longitudinal view (or press Enter / click the image for the frame shown); each pair adds one
 * segment. Delete removes the segment covering the frame shown (else the last one).
 */
export class CalciumSegmentTool extends FramePairTool {
  readonly name = "calcium-segments";
  readonly label = "Calcium segment";
  readonly shortcut = "g";

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

  protected override removeLast(): boolean {
    const segments = [...(this.ctx.annotations.document.calcium_segments ?? [])];
    if (segments.length === 0) return false;
    const frame = this.ctx.currentFrame();
    const hit = segments.findIndex((s) => s.start_frame <= frame && frame <= s.end_frame);
    segments.splice(hit >= 0 ? hit : segments.length - 1, 1);
    return this.ctx.annotations.setCalciumSegments(segments);
  }
}
