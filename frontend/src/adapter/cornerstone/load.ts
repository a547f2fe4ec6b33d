/**
 * Loads the Cornerstone3D viewport without a long main-thread task. A module graph is evaluated
 * in one task: Cornerstone's (dcmjs' DICOM dictionary, its metadata package's display-set
 * rules, vtk.js, the core) took 0.12–0.13 s cold in one piece. The build splits it into one
 * chunk per package group (vite.config.ts CORNERSTONE_CHUNKS, in dependency order); this
 * evaluates them one per task, each importing only what is already evaluated, then the adapter.
 * A modulepreload link per chunk (the adjudication page's template has them already; the
 * reading page's adds none) makes them download and compile, off the main thread, at once,
 * instead of one after another as each import is reached.
 */
import type * as Adapter from "./CornerstoneViewport.js";

/** Chunk names, in evaluation order; empty under the dev server (no chunks there). */
declare const __CORNERSTONE_CHUNKS__: readonly string[];

/**
 * Lets the page paint and handle input between two pieces of work: resolves in a new task (a
 * message, not a timer: timers are clamped to 4 ms when nested and to 1 s in a background tab).
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

let loaded: Promise<typeof Adapter> | null = null;

/** A modulepreload link per chunk not preloaded yet: all download and compile at once. */
function preloadChunks(here: string): void {
  const present = new Set([...document.querySelectorAll<HTMLLinkElement>('link[rel="modulepreload"]')].map((l) => l.href));
  for (const name of [...__CORNERSTONE_CHUNKS__, "CornerstoneViewport"]) {
    const href = new URL(`${name}.js`, here).href;
    if (present.has(href)) continue;
    document.head.append(Object.assign(document.createElement("link"), { rel: "modulepreload", href }));
  }
}

export function loadCornerstoneViewport(): Promise<typeof Adapter> {
  loaded ??= (async () => {
    // This module is itself an on-demand chunk, next to the Cornerstone ones (chunks/).
    const here = import.meta.url;
    preloadChunks(here);
    for (const name of __CORNERSTONE_CHUNKS__) {
      performance.mark(`viewer:${name}`);
      await import(/* @vite-ignore */ new URL(`${name}.js`, here).href);
      await nextTask();
    }
    return import("./CornerstoneViewport.js");
  })();
  return loaded;
}
