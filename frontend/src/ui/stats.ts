/**
 * What the viewer measures about itself, for bench/viewer.py and curious readers
 * (`window.__viewerStats`), plus performance marks `viewer:first-pixels`, `viewer:first-frame` and
 * `viewer:all-cached`.
 * Times are ms since navigation start (performance.now()).
 */
export interface ViewerStats {
  viewport: string;
  /** Frame pixels first on screen, whichever canvas (the early poster, the interim viewport). */
  firstPixelsMs: number | null;
  /** First paint of the mounted viewer (it takes input from then on). */
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
  /** Frame pixels drawn before the viewer is mounted (poster, interim viewport). */
  pixels(): void;
  /** Resolves when frame pixels are first on screen. */
  readonly firstPixels: Promise<void>;
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
  let onPixels = () => {};
  const firstPixels = new Promise<void>((resolve) => (onPixels = resolve));
  const stats: ViewerStats = {
    firstPixels,
    viewport: "",
    firstPixelsMs: null,
    firstFramePaintedMs: null,
    allCachedMs: null,
    allDecodedMs: null,
    framesCached: 0,
    frameCount: 0,
    distinctPaints: 0,
    lastPaintedFrame: -1,
    pixels() {
      if (stats.firstPixelsMs === null) {
        stats.firstPixelsMs = performance.now();
        performance.mark("viewer:first-pixels");
        onPixels();
      }
    },
    painted(frame) {
      stats.pixels();
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
