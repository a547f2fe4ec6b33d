/**
 * What the viewer measures about itself, for bench/viewer.py and curious readers
 * (`window.__viewerStats`), plus performance marks `viewer:first-frame` and `viewer:all-cached`.
 * Times are ms since navigation start (performance.now()).
 */
export interface ViewerStats {
  viewport: string;
  firstFramePaintedMs: number | null;
  allCachedMs: number | null;
  /** When every frame was decoded into the viewport's cache (Cornerstone only), else null. */
  allDecodedMs: number | null;
  framesCached: number;
  frameCount: number;
  /** Paints whose frame differed from the previous paint (for scrub fps). */
  distinctPaints: number;
  lastPaintedFrame: number;
  painted(frame: number): void;
  progress(loaded: number, total: number): void;
  decoded(): void;
  expose(api: ViewerHandle): void;
}

/** Hooks for the benchmark and e2e tests: navigate, and image px → CSS px of the viewport element. */
export interface ViewerHandle {
  goTo(n: number): void;
  frame(): number;
  frameCount: number;
  imageToScreen(x: number, y: number): [number, number];
}

declare global {
  interface Window {
    __viewerStats?: ViewerStats;
    __viewer?: ViewerHandle;
  }
}

export function viewerStats(): ViewerStats {
  if (window.__viewerStats) return window.__viewerStats;
  const stats: ViewerStats = {
    viewport: "",
    firstFramePaintedMs: null,
    allCachedMs: null,
    allDecodedMs: null,
    framesCached: 0,
    frameCount: 0,
    distinctPaints: 0,
    lastPaintedFrame: -1,
    painted(frame) {
      if (stats.firstFramePaintedMs === null) {
        stats.firstFramePaintedMs = performance.now();
        performance.mark("viewer:first-frame");
      }
      if (frame !== stats.lastPaintedFrame) stats.distinctPaints++;
      stats.lastPaintedFrame = frame;
    },
    progress(loaded, total) {
      stats.framesCached = loaded;
      stats.frameCount = total;
      if (loaded >= total && stats.allCachedMs === null) {
        stats.allCachedMs = performance.now();
        performance.mark("viewer:all-cached");
      }
    },
    decoded() {
      stats.allDecodedMs ??= performance.now();
      performance.mark("viewer:all-decoded");
    },
    expose(api) {
      window.__viewer = api;
    },
  };
  window.__viewerStats = stats;
  return stats;
}
