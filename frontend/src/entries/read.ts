/**
 * Reading page entry. The page provides:
 *   <div id="viewer-root"></div>
 *   <script id="viewer-bootstrap" type="application/json">{read_id, pullback_id, api_base,
 *     csrf_token, read_only, frame_url_template}</script>
 * and loads this module with <script type="module">.
 */
import "../ui/read.css";
import { BootstrapError, parseBootstrap } from "../ui/bootstrap.js";
import { startReadingApp } from "../ui/readingStart.js";
import { canvasViewportFactory, renderFatal, type ViewportFactory } from "../ui/shell.js";

/**
 * Cornerstone3D draws the cross-section (WebGL); its code is a separate chunk loaded on demand.
 * `?viewport=canvas` forces the plain canvas viewport (comparison, or a machine without WebGL);
 * any failure to start Cornerstone falls back to it too (readingApp.mount).
 */
const wantsCanvas = new URLSearchParams(window.location.search).get("viewport") === "canvas";
// Cornerstone's chunks (~2.9 MB, not preloaded by the template: download, compile, evaluation
// one chunk per task in adapter/cornerstone/load.ts, then its start) come once every frame's
// bytes are in (FrameLoader.complete), or CORNERSTONE_AFTER_MS after this script started (a
// slow network, or frames that failed: the viewer never waits for them): on a machine of few
// cores, their ~0.5 s of CPU otherwise shares it with the pullback's download
// (bench/viewer.py). Preloading them from the first picture on was no better there.
const CORNERSTONE_AFTER_MS = 1500;
type CornerstoneModule = typeof import("../adapter/cornerstone/CornerstoneViewport.js");
let cornerstoneModule: Promise<CornerstoneModule> | null = null;
function loadCornerstone(): Promise<CornerstoneModule> {
  cornerstoneModule ??= (() => {
    performance.mark("viewer:cs-import");
    return import("../adapter/cornerstone/load.js").then((m) => m.loadCornerstoneViewport());
  })();
  return cornerstoneModule;
}
const waitedLongEnough = new Promise<void>((resolve) => setTimeout(resolve, CORNERSTONE_AFTER_MS));

const cornerstoneViewportFactory: ViewportFactory = async (parent, pullback, loader) => {
  if (wantsCanvas) throw new Error("Cornerstone3D not wanted");
  await Promise.race([loader.complete, waitedLongEnough]);
  const { CornerstoneViewport } = await loadCornerstone();
  return CornerstoneViewport.create(parent, pullback, loader);
};

function chooseViewport(): ViewportFactory {
  return wantsCanvas ? canvasViewportFactory : cornerstoneViewportFactory;
}

function main(): void {
  const root = document.getElementById("viewer-root");
  if (!root) {
    console.error("viewer: #viewer-root is missing from the page");
    return;
  }
  const script = document.getElementById("viewer-bootstrap");
  try {
    if (!script?.textContent) throw new BootstrapError("#viewer-bootstrap is missing from the page");
    const boot = parseBootstrap(script.textContent);
    void startReadingApp(root, boot, chooseViewport()).catch((err: unknown) => {
      renderFatal(root, "The viewer failed to start", err instanceof Error ? err.message : String(err));
    });
  } catch (err) {
    root.classList.add("vw-root");
    renderFatal(root, "The viewer is misconfigured", err instanceof Error ? err.message : String(err));
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main, { once: true });
else main();
