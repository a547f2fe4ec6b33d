import { FramePairTool } from "./FramePairTool.js";

/**
 * Stent edges (SPEC §4 `stent`): pick a frame on the longitudinal view (or press Enter / click
 * the image for the frame shown). Without edges, the first pick is remembered and the second sets
 * both (the lower index is distal: frames run distal → proximal). With edges, a pick moves the
 * nearer edge. Delete removes both; Escape forgets a half-made pick.
 */
export class StentEdgeTool extends FramePairTool {
  readonly name = "stent-edges";
  readonly label = "Stent edges";
  readonly shortcut = "e";

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

  protected override removeLast(): boolean {
    return this.ctx.annotations.setStentEdges(null);
  }
}
