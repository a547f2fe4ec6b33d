import { fetchFirstFrame } from "../viewer/frameLoader.js";
import { ApiClient, type PullbackResponse, type ReadResponse } from "../api/client.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { h } from "./dom.js";
import { NOT_FOUND, ReadingApp } from "./readingApp.js";
import * as shell from "./shell.js";
import { viewerStats } from "./stats.js";

/**
 * Frame 0 on screen as soon as its bytes arrive, while the read and the pullback still load
 * (the viewer replaces it when it mounts). Returns a function that cancels it.
 */
function showPoster(root: HTMLElement, firstFrame: Promise<Blob | null>): { cancel(): void; bitmap(): ImageBitmap | null } {
  let cancelled = false;
  let decoded: ImageBitmap | null = null;
  const draw = async (blob: Blob | null) => {
    if (!blob || typeof createImageBitmap !== "function") return;
    const bitmap = await createImageBitmap(blob);
    decoded = bitmap;
    if (cancelled) return;
    const canvas = h("canvas", { class: "vw-poster", "aria-label": "Frame 1, loading the viewer" });
    canvas.style.cssText = "flex: 1; min-height: 0; width: 100%; background: var(--vw-stage);";
    root.replaceChildren(canvas);
    requestAnimationFrame(() => {
      if (cancelled || !canvas.isConnected) return;
      const dpr = window.devicePixelRatio || 1;
      const rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * dpr));
      canvas.height = Math.max(1, Math.round(rect.height * dpr));
      const g = canvas.getContext("2d");
      if (!g) return;
      const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
      const w = bitmap.width * scale;
      const h2 = bitmap.height * scale;
      g.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h2) / 2, w, h2);
      viewerStats().pixels();
    });
  };
  firstFrame.then(draw).catch(() => undefined);
  return {
    cancel: () => {
      cancelled = true;
    },
    // Decoded already: the viewer shows it without decoding frame 0 again.
    bitmap: () => decoded,
  };
}

/** Loads the read and its pullback, then mounts the reading viewer into `root`. */
export async function startReadingApp(
  root: HTMLElement,
  boot: ViewerBootstrap,
  viewportFactory: shell.ViewportFactory = shell.canvasViewportFactory,
): Promise<ReadingApp | null> {
  root.classList.add("vw-root");
  root.replaceChildren(h("p", { class: "vw-loading" }, "Loading read…"));
  const api = new ApiClient(boot.api_base, boot.csrf_token);
  // Frame 0 downloads alongside the read and the pullback (first paint sooner).
  const firstFrame = fetchFirstFrame(boot.frame_url_template);
  const poster = showPoster(root, firstFrame);
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
  poster.cancel();
  const app = new ReadingApp(root, boot, api, read, pullback);
  app.loader.adopt(0, firstFrame);
  const bitmap = poster.bitmap();
  if (bitmap) app.loader.adoptDecoded(0, bitmap);
  await app.mount(viewportFactory);
  return app;
}
