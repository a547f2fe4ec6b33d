/** A label's box on screen (px): left, top, width, height. */
export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: LabelBox, b: LabelBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Places labels of `w × h` px beside anchor points so that no two boxes overlap: for each anchor
 * it tries the four diagonal positions at growing distances and takes the first free one. The
 * boxes already placed (other layers, earlier calls) are passed in `taken` and extended.
 */
export class LabelPlacer {
  readonly taken: LabelBox[] = [];

  place(anchorX: number, anchorY: number, w: number, h: number): LabelBox {
    for (let ring = 1; ring < 40; ring++) {
      const d = 5 * ring;
      const candidates: LabelBox[] = [
        { x: anchorX + d, y: anchorY - d - h, w, h },
        { x: anchorX + d, y: anchorY + d, w, h },
        { x: anchorX - d - w, y: anchorY - d - h, w, h },
        { x: anchorX - d - w, y: anchorY + d, w, h },
      ];
      const free = candidates.find((c) => !this.taken.some((t) => overlaps(c, t)));
      if (free) {
        this.taken.push(free);
        return free;
      }
    }
    // Crowded beyond 200 px around the anchor: stack below everything placed so far.
    const bottom = Math.max(...this.taken.map((t) => t.y + t.h));
    const box = { x: anchorX, y: bottom + 1, w, h };
    this.taken.push(box);
    return box;
  }
}

export { overlaps as labelBoxesOverlap };
