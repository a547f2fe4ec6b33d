import type { CoordinateAdapter } from "../adapter/coordinates.js";
import type { ViewportAdapter } from "../adapter/viewport.js";
import type { PullbackResponse } from "../api/client.js";
import type { PointPx } from "../geometry/types.js";
import { h } from "../ui/dom.js";
import { createViewport, type ViewportFactory } from "../ui/shell.js";
import type { FrameLoader } from "../viewer/frameLoader.js";
import { FrameViewer, type FrameViewerHooks } from "../viewer/frameViewer.js";
import type { LayerId } from "./layers.js";

/**
 * Image ⇄ screen of whichever pane is being drawn or touched: the tools of a layer keep one
 * context while the layer appears in one pane (overlay) or another (side by side).
 */
export class PaneCoordinates implements CoordinateAdapter {
  target: ViewportAdapter | null = null;

  screenToImage(p: readonly [number, number]): [number, number] {
    return this.target ? this.target.screenToImage(p) : [Number.NaN, Number.NaN];
  }

  imageToScreen(p: PointPx): [number, number] {
    return this.target ? this.target.imageToScreen(p) : [Number.NaN, Number.NaN];
  }

  containsImagePoint(p: PointPx): boolean {
    return this.target ? this.target.containsImagePoint(p) : false;
  }
}

export interface Pane {
  readonly element: HTMLElement;
  readonly caption: HTMLElement;
  readonly viewport: ViewportAdapter;
  readonly viewer: FrameViewer;
  layers: LayerId[];
}

/** What a pane asks of the page: pointer hooks (with the pane's viewport) and its overlay. */
export interface PaneHooks {
  pointer(viewport: ViewportAdapter): Omit<FrameViewerHooks, "onFrameChange">;
  frameChanged(frame: number): void;
  draw(g: CanvasRenderingContext2D, viewport: ViewportAdapter): void;
  caption(layers: LayerId[]): HTMLElement[];
}

/**
 * The viewer panes of the workbench: one per layer group of the layout (overlay: one pane;
 * side by side: one per layer). Panes are pooled, created one at a time, never destroyed. Zoom
 * and pan are linked: a zoom or pan in one pane is applied to every other.
 */
export class PaneSet {
  readonly box: HTMLElement;
  panes: Pane[] = [];
  private readonly pool: Array<Omit<Pane, "layers">> = [];
  private arranging: Promise<void> = Promise.resolve();
  private linking = false;

  constructor(
    private readonly factory: ViewportFactory,
    private readonly pullback: PullbackResponse,
    private readonly loader: FrameLoader,
    private readonly hooks: PaneHooks,
  ) {
    this.box = h("div", { class: "ad-panes" });
  }

  /** Shows one pane per entry of `wanted` (queued: one arrangement at a time). */
  arrange(wanted: LayerId[][], layout: string, after: (panes: Pane[]) => void): Promise<void> {
    this.arranging = this.arranging
      .then(async () => {
        while (this.pool.length < wanted.length) this.pool.push(await this.createPane());
        this.panes = [];
        this.pool.forEach((slot, i) => {
          const layers = wanted[i];
          slot.element.hidden = layers === undefined;
          if (layers === undefined) return;
          slot.caption.replaceChildren(...this.hooks.caption(layers));
          slot.element.dataset["layers"] = layers.join(" ");
          this.panes.push({ ...slot, layers });
        });
        this.box.dataset["layout"] = layout;
        after(this.panes);
      })
      .catch((err: unknown) => console.error("viewer: layout failed", err));
    return this.arranging;
  }

  private async createPane(): Promise<Omit<Pane, "layers">> {
    const caption = h("div", { class: "ad-pane-caption" });
    const body = h("div", { class: "ad-pane-body" });
    const element = h("div", { class: "ad-pane" }, caption, body);
    this.box.append(element);
    const viewport = await createViewport(this.factory, body, this.pullback, this.loader);
    const viewer = new FrameViewer(viewport, this.loader, { ...this.hooks.pointer(viewport), onFrameChange: (frame) => this.hooks.frameChanged(frame) });
    viewport.drawOverlay = (g) => this.hooks.draw(g, viewport);
    this.link(viewport);
    return { element, caption, viewport, viewer };
  }

  /** Zoom, pan and reset of one pane are applied to the other panes too (same pane sizes). */
  private link(viewport: ViewportAdapter): void {
    const own = { zoom: viewport.zoom.bind(viewport), pan: viewport.pan.bind(viewport), reset: viewport.reset.bind(viewport) };
    const others = (fn: (v: ViewportAdapter) => void) => {
      if (this.linking) return;
      this.linking = true;
      try {
        for (const p of this.panes) if (p.viewport !== viewport) fn(p.viewport);
      } finally {
        this.linking = false;
      }
    };
    viewport.zoom = (factor, anchor) => {
      own.zoom(factor, anchor);
      others((v) => v.zoom(factor, anchor));
    };
    viewport.pan = (dx, dy) => {
      own.pan(dx, dy);
      others((v) => v.pan(dx, dy));
    };
    viewport.reset = () => {
      own.reset();
      others((v) => v.reset());
    };
  }

  forEach(fn: (pane: Pane) => void): void {
    this.panes.forEach(fn);
  }

  withLayer(id: LayerId): Pane | undefined {
    return this.panes.find((p) => p.layers.includes(id));
  }

  of(viewport: ViewportAdapter): Pane | undefined {
    return this.panes.find((p) => p.viewport === viewport);
  }
}
