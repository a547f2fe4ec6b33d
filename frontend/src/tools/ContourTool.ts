import type { ContourKind } from "../adapter/annotations.js";
import type { FrameAnnotations } from "../document/types.js";
import { closedSplinePx, spanOfDenseIndex } from "../auto/spline.js";
import { polygonSelfIntersects } from "../geometry/polygonSelfIntersects.js";
import type { PointPx } from "../geometry/types.js";
import { Tool, type OverlayContext, type ToolMove, type ToolPointer } from "./tool.js";

/** Pressing within this many screen pixels of the first point closes the contour. */
export const CLOSE_RADIUS_SCREEN_PX = 6;
/** Pressing within this many screen pixels of a saved vertex grabs it (edit mode). */
export const VERTEX_GRAB_SCREEN_PX = 6;
const DRAFT_COLOUR = "#7fd8ff";

/**
 * Shared behaviour of the closed-polygon tools (lumen, stent contour), SPEC §4:
 * - draw: click points; Enter, a double-click or a click on the first point closes; Escape
 *   cancels; Backspace removes the last draft point; closing replaces the frame's contour;
 * - edit: with no draft, drag a vertex of the saved contour to move it, Shift+click a vertex to
 *   remove it (a contour keeps ≥ 3 points); each edit is one undo step and must stay simple;
 * - smooth contours (a spline kept with its control points, e.g. an accepted proposal): the
 *   control points are the handles; drag one to reshape the curve, Shift+click one to remove
 *   it, press on the curve between them to insert one (and drag it);
 * - delete: Delete (or Backspace with no draft) removes the frame's contour.
 */
export abstract class ContourTool extends Tool {
  protected abstract readonly kind: ContourKind;
  protected abstract readonly colour: string;
  private draft: PointPx[] = [];
  private hover: PointPx | null = null;
  private drag: { index: number; points: PointPx[]; moved: boolean; ctrl?: PointPx[] } | null = null;

  override get hasDraft(): boolean {
    return this.draft.length > 0;
  }

  /** The open contour's points in image pixels (for display and tests). */
  get draftPoints(): readonly PointPx[] {
    return this.draft;
  }

  override cancelDraft(): void {
    if (this.draft.length === 0 && !this.drag) return;
    this.draft = [];
    this.drag = null;
    this.ctx.requestRender();
  }

  protected saved(): readonly PointPx[] | undefined {
    return this.ctx.annotations.frame(this.ctx.currentFrame())?.[this.kind];
  }

  /** The saved contour's spline control points, when it is a smooth contour. */
  protected savedCtrl(): readonly PointPx[] | undefined {
    const frame = this.ctx.annotations.frame(this.ctx.currentFrame());
    const ctrl = frame?.[this.kind === "lumen" ? "lumen_ctrl" : "stent_ctrl"];
    return ctrl && ctrl.length >= 3 ? ctrl : undefined;
  }

  /** Press on a smooth contour: grab, remove or insert a control point. */
  private pressSmooth(pointer: ToolPointer, saved: readonly PointPx[], ctrl: readonly PointPx[]): boolean {
    const copy = ctrl.map((p) => [p[0], p[1]] as PointPx);
    const handle = this.vertexAt(pointer.screen, ctrl);
    if (handle !== null) {
      if (pointer.shift) {
        if (ctrl.length <= 3) {
          this.ctx.notify("A contour keeps at least 3 control points; press Delete to remove it.");
          return true;
        }
        copy.splice(handle, 1);
        this.commitSmooth(copy);
        return true;
      }
      this.drag = { index: handle, points: [...saved], moved: false, ctrl: copy };
      return true;
    }
    const onCurve = this.vertexAt(pointer.screen, saved);
    if (onCurve === null || pointer.shift) return false;
    const span = spanOfDenseIndex(ctrl, saved, onCurve);
    copy.splice(span + 1, 0, [pointer.image[0], pointer.image[1]]);
    this.drag = { index: span + 1, points: closedSplinePx(copy, this.ctx.pixelSpacingMm), moved: true, ctrl: copy };
    this.ctx.requestRender();
    return true;
  }

  private commitSmooth(ctrl: readonly PointPx[]): void {
    const points = closedSplinePx(ctrl, this.ctx.pixelSpacingMm);
    if (polygonSelfIntersects(points)) {
      this.ctx.notify("That change would make the contour cross itself; not applied.");
      return;
    }
    this.ctx.annotations.setContour(this.kind, this.ctx.currentFrame(), points, { ctrl });
  }

  override onPointerDown(pointer: ToolPointer): boolean {
    if (!this.accepting) return false;
    if (pointer.clickCount >= 2) {
      // The first press of the double-click already added the point.
      if (this.draft.length > 0) this.close();
      return true;
    }
    if (this.draft.length === 0) {
      const saved = this.saved();
      const ctrl = this.savedCtrl();
      if (saved && ctrl) {
        if (this.pressSmooth(pointer, saved, ctrl)) return true;
      }
      const vertex = saved && !ctrl ? this.vertexAt(pointer.screen, saved) : null;
      if (saved && vertex !== null) {
        if (pointer.shift) {
          this.removeVertex(saved, vertex);
          return true;
        }
        this.drag = { index: vertex, points: saved.map((p) => [p[0], p[1]] as PointPx), moved: false };
        return true;
      }
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

  override onPointerMove(pointer: ToolMove | null): void {
    if (!this.accepting) return;
    if (this.drag && pointer?.dragging && this.ctx.coords.containsImagePoint(pointer.image)) {
      if (this.drag.ctrl) {
        this.drag.ctrl[this.drag.index] = [pointer.image[0], pointer.image[1]];
        this.drag.points = closedSplinePx(this.drag.ctrl, this.ctx.pixelSpacingMm);
      } else {
        this.drag.points[this.drag.index] = [pointer.image[0], pointer.image[1]];
      }
      this.drag.moved = true;
      this.ctx.requestRender();
      return;
    }
    if (this.draft.length === 0) return;
    this.hover = pointer ? [pointer.image[0], pointer.image[1]] : null;
    this.ctx.requestRender();
  }

  override onPointerUp(): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    if (drag.moved && drag.ctrl) this.commitSmooth(drag.ctrl);
    else if (drag.moved) {
      if (polygonSelfIntersects(drag.points)) this.ctx.notify("That move would make the contour cross itself; not applied.");
      else this.ctx.annotations.setContour(this.kind, this.ctx.currentFrame(), drag.points);
    }
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
        return this.deleteContour();
      case "Delete":
        if (this.draft.length > 0) {
          this.cancelDraft();
          return true;
        }
        return this.deleteContour();
      default:
        return false;
    }
  }

  /** Closes the draft into the frame's contour when it is a valid simple polygon. */
  close(): boolean {
    const points = dropRepeats(this.draft);
    if (points.length < 3) {
      this.ctx.notify(`A ${this.label.toLowerCase()} needs at least 3 points.`);
      return false;
    }
    if (polygonSelfIntersects(points)) {
      this.ctx.notify("The contour crosses itself; move or remove points (Backspace) before closing.");
      return false;
    }
    // Issue 10: a hand-drawn contour is the same smooth curve as an accepted proposal — the
    // clicked points become spline control points and the stored contour is the densely sampled
    // curve (SPEC §4), so a few clicks on a round lumen no longer read low.
    const curve = closedSplinePx(points, this.ctx.pixelSpacingMm);
    if (polygonSelfIntersects(curve)) {
      this.ctx.notify("The smooth contour through these points crosses itself; move or remove points (Backspace).");
      return false;
    }
    this.ctx.annotations.setContour(this.kind, this.ctx.currentFrame(), curve, { ctrl: points });
    this.draft = [];
    this.hover = null;
    this.ctx.requestRender();
    return true;
  }

  private removeVertex(saved: readonly PointPx[], index: number): void {
    if (saved.length <= 3) {
      this.ctx.notify("A contour keeps at least 3 points; press Delete to remove it.");
      return;
    }
    const points = saved.filter((_, i) => i !== index);
    if (polygonSelfIntersects(points)) {
      this.ctx.notify("Removing that point would make the contour cross itself.");
      return;
    }
    this.ctx.annotations.setContour(this.kind, this.ctx.currentFrame(), points);
  }

  private deleteContour(): boolean {
    if (!this.saved()) return false;
    return this.ctx.annotations.setContour(this.kind, this.ctx.currentFrame(), null);
  }

  private vertexAt(screen: readonly [number, number], points: readonly PointPx[]): number | null {
    let best: number | null = null;
    let bestDistance = VERTEX_GRAB_SCREEN_PX;
    points.forEach((p, i) => {
      const [x, y] = this.ctx.coords.imageToScreen(p);
      const d = Math.hypot(x - screen[0], y - screen[1]);
      if (d <= bestDistance) {
        best = i;
        bestDistance = d;
      }
    });
    return best;
  }

  private nearFirstPoint(screen: readonly [number, number]): boolean {
    const [fx, fy] = this.ctx.coords.imageToScreen(this.draft[0]!);
    return Math.hypot(fx - screen[0], fy - screen[1]) <= CLOSE_RADIUS_SCREEN_PX;
  }

  override render(g: OverlayContext, frame: Readonly<FrameAnnotations> | undefined): void {
    if (this.mode === "disabled") return;
    const toScreen = (p: PointPx) => this.ctx.coords.imageToScreen(p);
    const saved = this.drag ? this.drag.points : frame?.[this.kind];
    if (saved && saved.length >= 2) {
      g.save();
      const colour = this.savedColour(this.colour);
      g.strokeStyle = colour;
      g.fillStyle = colour;
      // As a layer, lumen and stent contour share the layer's colour: the stent is the thinner line.
      g.lineWidth = this.ctx.layerStyle ? (this.kind === "lumen" ? 2 : 1.2) : 1.5;
      if (!this.drag) g.setLineDash(this.savedDash());
      g.beginPath();
      saved.forEach((p, i) => {
        const [x, y] = toScreen(p);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.closePath();
      g.stroke();
      g.setLineDash([]);
      if (this.mode === "active" && this.draft.length === 0) {
        // Editable: show the control points (smooth contour) or the vertices as handles.
        const handles = this.drag ? (this.drag.ctrl ?? saved) : (this.savedCtrl() ?? saved);
        for (const p of handles) {
          const [x, y] = toScreen(p);
          g.fillRect(x - 2, y - 2, 4, 4);
        }
      }
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
