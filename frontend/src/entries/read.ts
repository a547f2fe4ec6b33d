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
import { viewerStats } from "../ui/stats.js";

/**
 * Cornerstone3D draws the cross-section (WebGL); its code is a separate chunk loaded on demand.
 * `?viewport=canvas` forces the plain canvas viewport (comparison, or a machine without WebGL);
 * any failure to start Cornerstone falls back to it too (readingApp.mount).
 */
const wantsCanvas = new URLSearchParams(window.location.search).get("viewport") === "canvas";
// The template modulepreloads Cornerstone's chunks (they download and compile while the read
// and the pullback load); their evaluation (~0.1 s of main thread, one chunk per task,
// adapter/cornerstone/load.ts) starts once frame 0 is on screen (or after CORNERSTONE_AFTER_MS),
// so it never delays the first picture.
const CORNERSTONE_AFTER_MS = 400;
type CornerstoneModule = typeof import("../adapter/cornerstone/CornerstoneViewport.js");
let cornerstoneModule: Promise<CornerstoneModule> | null = null;
function loadCornerstone(): Promise<CornerstoneModule> {
  cornerstoneModule ??= (() => {
    performance.mark("viewer:cs-import");
    return import("../adapter/cornerstone/load.js").then((m) => m.loadCornerstoneViewport());
  })();
  return cornerstoneModule;
}
if (!wantsCanvas) {
  const later = new Promise<void>((resolve) => setTimeout(resolve, CORNERSTONE_AFTER_MS));
  void Promise.race([viewerStats().firstPixels, later]).then(() => loadCornerstone().catch(() => undefined));
}

const cornerstoneViewportFactory: ViewportFactory = async (parent, pullback, loader) => {
  if (wantsCanvas) throw new Error("Cornerstone3D not wanted");
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
