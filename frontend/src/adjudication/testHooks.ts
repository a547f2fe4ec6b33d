import type { ViewportAdapter } from "../adapter/viewport.js";
import type { AnnotationDocument } from "../document/types.js";
import type { Layout } from "./layerControls.js";
import type { LayerId } from "./layers.js";

declare global {
  interface Window {
    /** Hooks for the e2e tests: navigate, layout, image px → page px of a pane, the own document. */
    __adjudicationViewer?: {
      goTo(n: number): void;
      frame(): number;
      frameCount: number;
      layout(): Layout;
      panes(): LayerId[][];
      imageToPage(x: number, y: number, pane?: number): [number, number] | null;
      ownDocument(): AnnotationDocument | null;
    };
  }
}

/** Publishes the workbench viewer's test hooks on `window.__adjudicationViewer`. */
export function exposeTestHooks(
  handle: { goTo(n: number): void; frame(): number; frameCount: number },
  viewer: {
    layout: () => Layout;
    panes: () => LayerId[][];
    overlay: (pane: number) => ViewportAdapter | null;
    ownDocument: () => AnnotationDocument | null;
  },
): void {
  window.__adjudicationViewer = {
    ...handle,
    layout: viewer.layout,
    panes: viewer.panes,
    imageToPage: (x: number, y: number, pane = 0) => {
      const viewport = viewer.overlay(pane);
      if (!viewport) return null;
      const rect = viewport.overlayCanvas.getBoundingClientRect();
      const [sx, sy] = viewport.imageToScreen([x, y]);
      return [rect.left + sx, rect.top + sy];
    },
    ownDocument: viewer.ownDocument,
  };
}
