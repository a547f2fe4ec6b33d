import type { FrameAnnotations } from "../document/types.js";
import type { PointPx } from "../geometry/types.js";
import { Tool, type OverlayContext, type ToolPointer } from "./tool.js";

/** A press within this many screen pixels of a strut removes it. */
export const STRUT_HIT_RADIUS_SCREEN_PX = 6;
const STRUT_COLOUR = "#ff6b8b";

/**
 * Struts: a click adds a strut at the centre of its luminal surface; a click on an existing
 * strut (within 6 screen px) removes it. The second press of a double-click is ignored, so a
 * quick double press does not add-then-remove.
 */
export class StrutTool extends Tool {
  readonly name = "struts";
  readonly label = "Struts";
  readonly shortcut = "s";

  override onPointerDown(pointer: ToolPointer): boolean {
    if (!this.accepting) return false;
    if (pointer.clickCount >= 2) return true;
    const frame = this.ctx.currentFrame();
    const hit = this.hitTest(pointer.screen, this.ctx.annotations.frame(frame)?.struts ?? []);
    if (hit !== null) {
      this.ctx.annotations.removeStrut(frame, hit);
      return true;
    }
    if (!this.ctx.coords.containsImagePoint(pointer.image)) {
      this.ctx.notify("That point is outside the image.");
      return true;
    }
    this.ctx.annotations.addStrut(frame, pointer.image);
    return true;
  }

  /** Index of the nearest strut within the hit radius (screen pixels), or null. */
  hitTest(screen: readonly [number, number], struts: readonly PointPx[]): number | null {
    let best: number | null = null;
    let bestDistance = STRUT_HIT_RADIUS_SCREEN_PX;
    struts.forEach((p, i) => {
      const [x, y] = this.ctx.coords.imageToScreen(p);
      const d = Math.hypot(x - screen[0], y - screen[1]);
      if (d <= bestDistance) {
        best = i;
        bestDistance = d;
      }
    });
    return best;
  }

  override render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void {
    if (this.mode === "disabled") return;
    const struts = frame?.struts;
    if (!struts || struts.length === 0) return;
    g.save();
    g.strokeStyle = this.savedColour(STRUT_COLOUR);
    g.fillStyle = this.ctx.layerStyle ? "rgba(0, 0, 0, 0.35)" : "rgba(255, 107, 139, 0.35)";
    g.lineWidth = 1.5;
    for (const p of struts) {
      const [x, y] = this.ctx.coords.imageToScreen(p);
      g.beginPath();
      g.arc(x, y, 3.5, 0, Math.PI * 2);
      g.fill();
      g.stroke();
    }
    g.restore();
  }
}
