import { frameKey, frameOf } from "../document/document.js";
import type { DocumentStore } from "../document/store.js";
import type { AnnotationDocument, FrameAnnotations, Point } from "../document/types.js";
import type { PointPx } from "../geometry/types.js";

/** Rounds to 1/100 px: sub-pixel precision without float noise in the stored JSON. */
function roundPx(v: number): number {
  return Math.round(v * 100) / 100;
}

function toPoint(p: PointPx): Point {
  return [roundPx(p[0]), roundPx(p[1])];
}

function ensureFrame(draft: AnnotationDocument, frame: number): FrameAnnotations {
  const key = frameKey(frame);
  return (draft.frames[key] ??= {});
}

/**
 * The only way tools change annotations: each method is one undoable edit of the document
 * store, in image pixels of the given frame. Viewer-library objects never pass through here.
 */
export class AnnotationAdapter {
  constructor(private readonly store: DocumentStore) {}

  get readOnly(): boolean {
    return this.store.readOnly;
  }

  frame(frame: number): Readonly<FrameAnnotations> | undefined {
    return frameOf(this.store.document, frame);
  }

  /** Sets (or with null, removes) the frame's lumen contour. */
  setLumen(frame: number, points: readonly PointPx[] | null): boolean {
    return this.store.edit((draft) => {
      const entry = ensureFrame(draft, frame);
      if (points === null) delete entry.lumen;
      else entry.lumen = points.map(toPoint);
    });
  }

  addStrut(frame: number, point: PointPx): boolean {
    return this.store.edit((draft) => {
      const entry = ensureFrame(draft, frame);
      (entry.struts ??= []).push(toPoint(point));
    });
  }

  removeStrut(frame: number, index: number): boolean {
    return this.store.edit((draft) => {
      const struts = draft.frames[frameKey(frame)]?.struts;
      if (struts && index >= 0 && index < struts.length) struts.splice(index, 1);
    });
  }
}
