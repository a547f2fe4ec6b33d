import type { CalciumEntry, FrameAnnotations } from "../document/types.js";
import { distance } from "../geometry/distance.js";
import { pointsToMm } from "../geometry/pointsToMm.js";
import type { PointPx } from "../geometry/types.js";
import { overlayText } from "./overlayText.js";
import type { OverlayContext } from "./tool.js";
import { TwoClickTool } from "./TwoClickTool.js";

const CALIPER_COLOUR = "#ff9f43";

/** Caliper length in mm (anisotropic spacing), or null when uncalibrated. */
export function caliperMm(a: PointPx, b: PointPx, spacing: readonly [number, number] | null | undefined): number | null {
  if (!spacing) return null;
  const [p, q] = pointsToMm([a, b], spacing);
  return distance(p!, q!);
}

/**
 * Calcium thickness caliper (SPEC §4 `calcium[].thickness`): two clicks across the thickest part
 * of the calcium, with live mm. The caliper belongs to a calcium entry of the frame: the last one
 * without a thickness, else the last one (replaced). Mark the arc first. Escape cancels; Delete
 * removes the caliper of the frame's last entry that has one.
 */
export class CalciumThicknessTool extends TwoClickTool {
  readonly name = "calcium-thickness";
  readonly label = "Calcium thickness";
  readonly shortcut = "k";

  private calcium(): readonly CalciumEntry[] {
    return this.ctx.annotations.frame(this.ctx.currentFrame())?.calcium ?? [];
  }

  protected override refusal(): string | null {
    return this.calcium().length === 0 ? "Mark the calcium arc first (A); the thickness belongs to it." : null;
  }

  protected override complete(first: PointPx, second: PointPx): void {
    const calcium = this.calcium();
    let index = lastIndex(calcium, (c) => !c.thickness);
    if (index < 0) index = calcium.length - 1;
    this.ctx.annotations.setCalciumThickness(this.ctx.currentFrame(), index, [first, second]);
  }

  protected override removeLast(): boolean {
    const frame = this.ctx.currentFrame();
    const index = lastIndex(this.calcium(), (c) => c.thickness !== undefined);
    return index >= 0 && this.ctx.annotations.setCalciumThickness(frame, index, null);
  }

  /** Live mm of the open caliper, or null. */
  get draftMm(): number | null {
    if (!this.first || !this.hover) return null;
    return caliperMm(this.first, this.hover, this.ctx.pixelSpacingMm);
  }

  override render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void {
    if (this.mode === "disabled") return;
    for (const entry of frame?.calcium ?? []) {
      if (entry.thickness) this.drawCaliper(g, entry.thickness[0], entry.thickness[1], false);
    }
    if (this.mode === "active" && this.first) this.drawCaliper(g, this.first, this.hover ?? this.first, true);
  }

  private drawCaliper(g: OverlayContext, a: PointPx, b: PointPx, draft: boolean): void {
    const [ax, ay] = this.ctx.coords.imageToScreen(a);
    const [bx, by] = this.ctx.coords.imageToScreen(b);
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const nx = (-(by - ay) / len) * 5;
    const ny = ((bx - ax) / len) * 5;
    const colour = draft ? CALIPER_COLOUR : this.savedColour(CALIPER_COLOUR);
    g.save();
    g.strokeStyle = colour;
    g.lineWidth = 1.5;
    if (draft) g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(ax, ay);
    g.lineTo(bx, by);
    g.moveTo(ax - nx, ay - ny);
    g.lineTo(ax + nx, ay + ny);
    g.moveTo(bx - nx, by - ny);
    g.lineTo(bx + nx, by + ny);
    g.stroke();
    g.restore();
    const mm = caliperMm(a, b, this.ctx.pixelSpacingMm);
    const text = mm === null ? `${distance(a, b).toFixed(0)} px` : `${mm.toFixed(2)} mm`;
    overlayText(g, text, bx + 8, by + 4, colour);
  }
}

/** Index of the last element matching `test`, or -1 (ES2022 lacks Array.findLastIndex). */
function lastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}
