import type { ViewportAdapter } from "../adapter/viewport.js";
import type { AnnotationDocument } from "../document/types.js";
import type { Layout } from "./layerControls.js";
import type { LayerId } from "./layers.js";
import type { PaneSet } from "./panes.js";
import type { ViewerStats } from "../ui/stats.js";

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

/** Publishes the workbench's handle (benchmark, `window.__viewer`) and its e2e test hooks. */
export function exposeWorkbenchHooks(
  stats: ViewerStats,
  w: { goTo(n: number): void; frame(): number; frameCount: number; panes: PaneSet; layout(): Layout; ownDocument(): AnnotationDocument | null },
): void {
  const handle = {
    goTo: (n: number) => w.goTo(n),
    frame: () => w.frame(),
    frameCount: w.frameCount,
    imageToScreen: (x: number, y: number) => w.panes.panes[0]!.viewport.imageToScreen([x, y]),
  };
  stats.expose(handle);
  exposeTestHooks(handle, {
    layout: () => w.layout(),
    panes: () => w.panes.panes.map((p) => [...p.layers]),
    overlay: (pane) => w.panes.panes[pane]?.viewport ?? null,
    ownDocument: () => w.ownDocument(),
  });
}

/** Publishes the workbench viewer's test hooks on `window.__adjudicationViewer`. */
function exposeTestHooks(
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
