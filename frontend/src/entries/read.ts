/**
 * Reading page entry. The page provides:
 *   <div id="viewer-root"></div>
 *   <script id="viewer-bootstrap" type="application/json">{read_id, pullback_id, api_base,
 *     csrf_token, read_only, frame_url_template}</script>
 * and loads this module with <script type="module">.
 */
import "../ui/read.css";
import { BootstrapError, parseBootstrap } from "../ui/bootstrap.js";
import { renderFatal, startReadingApp } from "../ui/readingApp.js";

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
    void startReadingApp(root, boot).catch((err: unknown) => {
      renderFatal(root, "The viewer failed to start", err instanceof Error ? err.message : String(err));
    });
  } catch (err) {
    root.classList.add("vw-root");
    renderFatal(root, "The viewer is misconfigured", err instanceof Error ? err.message : String(err));
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main, { once: true });
else main();
