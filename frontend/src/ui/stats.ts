/**
 * What the viewer measures about itself, for bench/viewer.py and curious readers
 * (`window.__viewerStats`), plus performance marks `viewer:first-pixels`, `viewer:first-frame` and
 * `viewer:all-cached`.
 * Times are ms since navigation start (performance.now()).
 */
export interface ViewerStats {
  viewport: string;
  /** Frame pixels first on screen, whichever came first (the page's poster, the interim viewport). */
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
  /** Frame pixels drawn before the viewer is mounted (interim viewport), now or at `atMs`. */
  pixels(atMs?: number): void;
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
    firstPixelsMs: null,
    firstFramePaintedMs: null,
    allCachedMs: null,
    allDecodedMs: null,
    framesCached: 0,
    frameCount: 0,
    distinctPaints: 0,
    lastPaintedFrame: -1,
    pixels(atMs) {
      const at = atMs ?? performance.now();
      // The poster's paint is reported late (an observer's callback): an earlier time wins.
      if (stats.firstPixelsMs !== null && stats.firstPixelsMs <= at) return;
      stats.firstPixelsMs = at;
      performance.mark("viewer:first-pixels", { startTime: at });
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
  observePosterPaint(stats);
  return stats;
}

/** The element timing name of the page's poster (read.html: frame 0 as an <img>). */
const POSTER_TIMING = "viewer-poster";

/**
 * The poster is painted by the browser, perhaps before any script of the page runs: its paint
 * time comes from the Element Timing API (buffered, so an earlier paint is reported too).
 */
function observePosterPaint(stats: ViewerStats): void {
  if (typeof PerformanceObserver === "undefined" || !PerformanceObserver.supportedEntryTypes?.includes("element")) return;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { identifier?: string; renderTime?: number })[]) {
      if (entry.identifier === POSTER_TIMING && entry.renderTime) {
        stats.pixels(entry.renderTime);
        observer.disconnect();
      }
    }
  });
  observer.observe({ type: "element", buffered: true });
}
