import type { FrameAnnotations } from "../document/types.js";
import { polygonSelfIntersects } from "../geometry/polygonSelfIntersects.js";
import type { PointPx } from "../geometry/types.js";
import { Tool, type OverlayContext, type ToolPointer } from "./tool.js";

/** Pressing within this many screen pixels of the first point closes the contour. */
const CLOSE_RADIUS_SCREEN_PX = 6;
const LUMEN_COLOUR = "#f5c542";
const DRAFT_COLOUR = "#7fd8ff";

/**
 * Lumen contour: click points to build a closed polygon on the current frame;
 * Enter, a double-click or a click on the first point closes it; Escape cancels;
 * Backspace removes the last draft point; Delete removes the frame's lumen.
 * Closing replaces an existing lumen on that frame (one undo step).
 */
export class LumenContourTool extends Tool {
  readonly name = "lumen";
  readonly label = "Lumen contour";
  readonly shortcut = "l";
  private draft: PointPx[] = [];
  private hover: PointPx | null = null;

  override get hasDraft(): boolean {
    return this.draft.length > 0;
  }

  /** The open contour's points in image pixels (for display and tests). */
  get draftPoints(): readonly PointPx[] {
    return this.draft;
  }

  override cancelDraft(): void {
    if (this.draft.length === 0) return;
    this.draft = [];
    this.ctx.requestRender();
  }

  override onPointerDown(pointer: ToolPointer): boolean {
    if (!this.accepting) return false;
    if (pointer.clickCount >= 2) {
      // The first press of the double-click already added the point.
      if (this.draft.length > 0) this.close();
      return true;
    }
    if (this.draft.length >= 3 && this.nearFirstPoint(pointer.screen)) {
      this.close();
      return true;
    }
    if (!this.ctx.coords.containsImagePoint(pointer.image)) {
      this.ctx.notify("That point is outside the image.");
      return true;
    }
    this.draft.push([pointer.image[0], pointer.image[1]]);
    this.ctx.requestRender();
    return true;
  }

  override onPointerMove(pointer: Omit<ToolPointer, "clickCount"> | null): void {
    if (!this.accepting || this.draft.length === 0) return;
    this.hover = pointer ? [pointer.image[0], pointer.image[1]] : null;
    this.ctx.requestRender();
  }

  override onKeyDown(key: string): boolean {
    if (!this.accepting) return false;
    switch (key) {
      case "Enter":
        if (this.draft.length === 0) return false;
        this.close();
        return true;
      case "Escape":
        if (this.draft.length === 0) return false;
        this.cancelDraft();
        return true;
      case "Backspace":
        if (this.draft.length > 0) {
          this.draft.pop();
          this.ctx.requestRender();
          return true;
        }
        return this.deleteLumen();
      case "Delete":
        if (this.draft.length > 0) {
          this.cancelDraft();
          return true;
        }
        return this.deleteLumen();
      default:
        return false;
    }
  }

  /** Closes the draft into the frame's lumen when it is a valid simple polygon. */
  close(): boolean {
    const points = dropRepeats(this.draft);
    if (points.length < 3) {
      this.ctx.notify("A lumen contour needs at least 3 points.");
      return false;
    }
    if (polygonSelfIntersects(points)) {
      this.ctx.notify("The contour crosses itself; move or remove points (Backspace) before closing.");
      return false;
    }
    this.ctx.annotations.setLumen(this.ctx.currentFrame(), points);
    this.draft = [];
    this.hover = null;
    this.ctx.requestRender();
    return true;
  }

  private deleteLumen(): boolean {
    const frame = this.ctx.currentFrame();
    if (!this.ctx.annotations.frame(frame)?.lumen) return false;
    return this.ctx.annotations.setLumen(frame, null);
  }

  private nearFirstPoint(screen: readonly [number, number]): boolean {
    const [fx, fy] = this.ctx.coords.imageToScreen(this.draft[0]!);
    return Math.hypot(fx - screen[0], fy - screen[1]) <= CLOSE_RADIUS_SCREEN_PX;
  }

  override render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void {
    if (this.mode === "disabled") return;
    const toScreen = (p: PointPx) => this.ctx.coords.imageToScreen(p);
    const lumen = frame?.lumen;
    if (lumen && lumen.length >= 2) {
      g.save();
      g.strokeStyle = LUMEN_COLOUR;
      g.lineWidth = 1.5;
      g.beginPath();
      lumen.forEach((p, i) => {
        const [x, y] = toScreen(p);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.closePath();
      g.stroke();
      g.restore();
    }
    if (this.mode !== "active" || this.draft.length === 0) return;
    g.save();
    g.strokeStyle = DRAFT_COLOUR;
    g.fillStyle = DRAFT_COLOUR;
    g.lineWidth = 1.5;
    g.setLineDash([5, 4]);
    g.beginPath();
    const path = this.hover ? [...this.draft, this.hover] : this.draft;
    path.forEach((p, i) => {
      const [x, y] = toScreen(p);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.setLineDash([]);
    this.draft.forEach((p, i) => {
      const [x, y] = toScreen(p);
      g.beginPath();
      g.arc(x, y, i === 0 ? CLOSE_RADIUS_SCREEN_PX / 2 + 1 : 2.5, 0, Math.PI * 2);
      if (i === 0) g.stroke();
      else g.fill();
    });
    g.restore();
  }
}

/** Removes consecutive duplicates (and a last point equal to the first). */
function dropRepeats(points: readonly PointPx[]): PointPx[] {
  const out: PointPx[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  while (out.length > 1) {
    const first = out[0]!;
    const last = out[out.length - 1]!;
    if (first[0] === last[0] && first[1] === last[1]) out.pop();
    else break;
  }
  return out;
}
