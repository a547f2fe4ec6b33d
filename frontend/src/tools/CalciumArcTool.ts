import type { CalciumEntry, FrameAnnotations } from "../document/types.js";
import { calciumArcDeg } from "../geometry/calciumArcDeg.js";
import { pointsToMm } from "../geometry/pointsToMm.js";
import { polygonCentroidPx } from "../geometry/polygonCentroidPx.js";
import type { PointPx } from "../geometry/types.js";
import { overlayText } from "./overlayText.js";
import type { OverlayContext } from "./tool.js";
import { TwoClickTool } from "./TwoClickTool.js";

const CALCIUM_COLOUR = "#c58cff";

/** The centre a calcium entry's arc is seen from: its `center`, else the frame's lumen centroid. */
export function calciumCenterPx(entry: Pick<CalciumEntry, "center">, frame: Readonly<FrameAnnotations> | undefined): PointPx | null {
  if (entry.center) return entry.center;
  return frame?.lumen && frame.lumen.length >= 3 ? polygonCentroidPx(frame.lumen) : null;
}

/** Arc degrees of one entry measured in mm (anisotropic spacing), or in px when uncalibrated. */
export function entryArcDeg(center: PointPx, first: PointPx, second: PointPx, spacing: readonly [number, number] | null | undefined): number {
  const pts = spacing ? pointsToMm([center, first, second], spacing) : [center, first, second];
  return calciumArcDeg([[pts[0]!, pts[1]!, pts[2]!]]) ?? 0;
}

/**
 * Calcium arc (SPEC §4 `calcium[].arc`): click the calcium's first angular edge, then the second;
 * the arc is swept clockwise from the first to the second, seen from the frame's lumen centroid
 * (so the lumen must be drawn first). Live degrees follow the pointer. Escape cancels; Delete
 * removes the frame's last calcium entry.
 */
export class CalciumArcTool extends TwoClickTool {
  readonly name = "calcium-arc";
  readonly label = "Calcium arc";
  readonly shortcut = "a";

  private center(): PointPx | null {
    const frame = this.ctx.annotations.frame(this.ctx.currentFrame());
    return calciumCenterPx({}, frame);
  }

  protected override refusal(): string | null {
    return this.center() ? null : "Draw the lumen contour first: the calcium arc is seen from its centre.";
  }

  protected override acceptsPoint(p: PointPx): boolean {
    const center = this.center();
    return !center || p[0] !== center[0] || p[1] !== center[1];
  }

  protected override complete(first: PointPx, second: PointPx): void {
    this.ctx.annotations.addCalciumArc(this.ctx.currentFrame(), first, second);
  }

  protected override removeLast(): boolean {
    const frame = this.ctx.currentFrame();
    const count = this.ctx.annotations.frame(frame)?.calcium?.length ?? 0;
    return count > 0 && this.ctx.annotations.removeCalcium(frame, count - 1);
  }

  /** Live degrees of the open arc (pointer as the second edge), or null. */
  get draftDeg(): number | null {
    const center = this.center();
    if (!this.first || !this.hover || !center) return null;
    return entryArcDeg(center, this.first, this.hover, this.ctx.pixelSpacingMm);
  }

  override render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void {
    if (this.mode === "disabled") return;
    for (const entry of frame?.calcium ?? []) {
      const center = calciumCenterPx(entry, frame);
      if (!center) continue;
      const deg = entryArcDeg(center, entry.arc[0], entry.arc[1], this.ctx.pixelSpacingMm);
      this.drawArc(g, center, entry.arc[0], entry.arc[1], `${deg.toFixed(0)}°`, false);
    }
    if (this.mode !== "active" || !this.first) return;
    const center = this.center();
    if (!center) return;
    const second = this.hover ?? this.first;
    const deg = this.draftDeg;
    this.drawArc(g, center, this.first, second, deg === null ? "" : `${deg.toFixed(1)}°`, true);
  }

  private drawArc(g: OverlayContext, center: PointPx, first: PointPx, second: PointPx, label: string, draft: boolean): void {
    const [cx, cy] = this.ctx.coords.imageToScreen(center);
    const [ax, ay] = this.ctx.coords.imageToScreen(first);
    const [bx, by] = this.ctx.coords.imageToScreen(second);
    const ra = Math.hypot(ax - cx, ay - cy);
    const rb = Math.hypot(bx - cx, by - cy);
    const r = (ra + rb) / 2;
    const start = Math.atan2(ay - cy, ax - cx);
    const end = Math.atan2(by - cy, bx - cx);
    const colour = draft ? CALCIUM_COLOUR : this.savedColour(CALCIUM_COLOUR);
    g.save();
    g.strokeStyle = colour;
    g.lineWidth = draft ? 1.5 : 2;
    g.setLineDash(draft ? [5, 4] : this.savedDash());
    g.beginPath();
    g.moveTo(cx, cy);
    g.lineTo(ax, ay);
    g.moveTo(cx, cy);
    g.lineTo(bx, by);
    g.stroke();
    g.setLineDash([]);
    g.lineWidth = 3;
    g.beginPath();
    // Canvas angles turn clockwise on screen (y down), like SPEC §3 angles.
    g.arc(cx, cy, r, start, end, false);
    g.stroke();
    g.restore();
    if (label) {
      const mid = start + ((((end - start) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) / 2;
      overlayText(g, label, cx + (r + 12) * Math.cos(mid), cy + (r + 12) * Math.sin(mid), colour);
    }
  }
}
