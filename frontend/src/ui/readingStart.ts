import { fetchFirstFrame } from "../viewer/frameLoader.js";
import { ApiClient, type PullbackResponse, type ReadResponse } from "../api/client.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { h } from "./dom.js";
import { NOT_FOUND, ReadingApp } from "./readingApp.js";
import * as shell from "./shell.js";
import { viewerStats } from "./stats.js";

/**
 * Frame 0 decoded off the main thread while the read and the pullback load, so the viewer shows
 * it without decoding it again. (Frame 0 is on screen already: the page renders it as an <img>,
 * read.html, which the browser fetches, decodes and paints before this script has run.)
 */
function decodeFirstFrame(firstFrame: Promise<Blob | null>): { cancel(): void; bitmap(): ImageBitmap | null } {
  let cancelled = false;
  let decoded: ImageBitmap | null = null;
  firstFrame
    .then(async (blob) => {
      if (!blob || typeof createImageBitmap !== "function") return;
      const bitmap = await createImageBitmap(blob);
      if (cancelled) bitmap.close();
      else decoded = bitmap;
    })
    .catch(() => undefined);
  return {
    cancel: () => {
      cancelled = true;
    },
    bitmap: () => decoded,
  };
}

/**
 * Resolves once the page's poster of frame 0 has loaded or failed (at once without a poster, or
 * when it has): the viewer's own request for frame 0 is then answered by the HTTP cache (frames
 * are immutable and cacheable) instead of downloading the frame a second time beside it.
 */
function posterSettled(img: HTMLImageElement | null): Promise<void> {
  if (!img || img.complete) return Promise.resolve();
  return new Promise((resolve) => {
    img.addEventListener("load", () => resolve(), { once: true });
    img.addEventListener("error", () => resolve(), { once: true });
  });
}

/** Loads the read and its pullback, then mounts the reading viewer into `root`. */
export async function startReadingApp(
  root: HTMLElement,
  boot: ViewerBootstrap,
  viewportFactory: shell.ViewportFactory = shell.canvasViewportFactory,
): Promise<ReadingApp | null> {
  root.classList.add("vw-root");
  root.setAttribute("aria-busy", "true");
  try {
    return await start(root, boot, viewportFactory);
  } finally {
    root.removeAttribute("aria-busy");
  }
}

async function start(root: HTMLElement, boot: ViewerBootstrap, viewportFactory: shell.ViewportFactory): Promise<ReadingApp | null> {
  // The page's poster of frame 0 stays until the viewer mounts; its paint time is counted.
  viewerStats();
  const posterImg = root.querySelector<HTMLImageElement>("img.vw-poster");
  if (!posterImg) root.replaceChildren(h("p", { class: "vw-loading" }, "Loading read…"));
  const api = new ApiClient(boot.api_base, boot.csrf_token);
  // Frame 0 downloads alongside the read and the pullback (the viewer's first paint sooner), and
  // once: with a poster, its bytes come from the HTTP cache once the poster has them.
  const firstFrame = fetchFirstFrame(boot.frame_url_template, undefined, posterSettled(posterImg));
  const poster = decodeFirstFrame(firstFrame);
  let read: ReadResponse;
  let pullback: PullbackResponse;
  try {
    [read, pullback] = await Promise.all([api.getRead(boot.read_id), api.getPullback(boot.pullback_id)]);
  } catch (err) {
    poster.cancel();
    shell.renderFatal(root, "The viewer could not load this read", shell.describeLoadError(err, NOT_FOUND));
    return null;
  }
  const refusal =
    read.pullback !== pullback.id
      ? (["The viewer could not load this read", "The read does not belong to this pullback."] as const)
      : shell.unshowablePullback(pullback);
  if (refusal) {
    poster.cancel();
    shell.renderFatal(root, refusal[0], refusal[1]);
    return null;
  }
  const app = new ReadingApp(root, boot, api, read, pullback);
  app.loader.adopt(0, firstFrame);
  const bitmap = poster.bitmap();
  poster.cancel(); // a decode that ends later is not wanted
  if (bitmap) app.loader.adoptDecoded(0, bitmap);
  await app.mount(viewportFactory);
  return app;
}
