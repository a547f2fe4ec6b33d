/**
 * Adjudication workbench entry. The page provides:
 *   <div id="adjudication-viewer" hidden></div>
 *   <script id="adjudication-bootstrap" type="application/json">{adjudication_id, pullback_id,
 *     api_base, csrf_token, frame_url_template, read_only, …}</script>
 *   .frame-link[data-frame] links, and (while open) form#resolve with the source-<group> radios
 *   and the hidden input#own-annotations,
 * and loads this module with <script type="module">.
 */
// adjudicate.css @imports read.css, so dist/read.css stays the reading page's alone.
import "../adjudication/adjudicate.css";
import { parseAdjudicationBootstrap } from "../adjudication/bootstrap.js";
import type { AdjudicationViewer } from "../adjudication/adjudicationViewer.js";
import { startAdjudicationViewer } from "../adjudication/start.js";
import { bindDecisionForm, bindFrameLinks, pollUntilConsensus } from "../adjudication/decisionForm.js";
import { ApiClient } from "../api/client.js";
import { OwnDraftKeeper, type DraftStorage } from "../adjudication/ownDocument.js";
import { documentFromServer } from "../document/document.js";
import { BootstrapError } from "../ui/bootstrap.js";
import { canvasViewportFactory, renderFatal, type ViewportFactory } from "../ui/shell.js";

const wantsCanvas = new URLSearchParams(window.location.search).get("viewport") === "canvas";
// One chunk per task (adapter/cornerstone/load.ts): no long main-thread task.
const cornerstoneModule = wantsCanvas ? null : import("../adapter/cornerstone/load.js").then((m) => m.loadCornerstoneViewport());

const cornerstoneViewportFactory: ViewportFactory = async (parent, pullback, loader) => {
  if (!cornerstoneModule) throw new Error("Cornerstone3D not loaded");
  const { CornerstoneViewport } = await cornerstoneModule;
  return CornerstoneViewport.create(parent, pullback, loader);
};

function sessionStore(): DraftStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the own annotation lives in memory only
  }
}

/** A document the server re-rendered into the hidden field (a refused post) seeds an empty draft. */
function seedFromHiddenField(keeper: OwnDraftKeeper, hidden: HTMLInputElement | null): void {
  const text = hidden?.value.trim();
  if (!text || keeper.load()) return;
  try {
    keeper.save({ origin: "empty", annotations: documentFromServer(JSON.parse(text)) });
  } catch {
    // Not JSON: the server already said so next to the form.
  }
}

function main(): void {
  const root = document.getElementById("adjudication-viewer");
  if (!root) {
    console.error("viewer: #adjudication-viewer is missing from the page");
    return;
  }
  root.hidden = false;
  let viewer: AdjudicationViewer | null = null;
  let pendingFrame: number | null = null;
  bindFrameLinks(document, (frame) => {
    if (viewer) {
      // A flag's frame opens both reads side by side (zoom and pan linked).
      viewer.setLayout("side-by-side");
      viewer.goTo(frame);
      viewer.reveal();
    } else {
      pendingFrame = frame;
      root.scrollIntoView({ block: "start" });
    }
  });
  const form = document.querySelector<HTMLFormElement>("form#resolve");
  const hidden = document.querySelector<HTMLInputElement>("#own-annotations");
  let failed = false;
  const refreshForm = form && hidden ? bindDecisionForm(form, hidden, () => (viewer ? viewer.ownDocument() : failed ? undefined : null)) : () => undefined;
  const script = document.getElementById("adjudication-bootstrap");
  try {
    if (!script?.textContent) throw new BootstrapError("#adjudication-bootstrap is missing from the page");
    const boot = parseAdjudicationBootstrap(script.textContent);
    const storage = sessionStore();
    if (document.getElementById("consensus-pending")) {
      const api = new ApiClient(boot.api_base, boot.csrf_token);
      pollUntilConsensus(
        () => api.getAdjudication(boot.adjudication_id).then((a) => a.pullback_status),
        () => window.location.reload(),
      );
    }
    if (!boot.read_only) seedFromHiddenField(new OwnDraftKeeper(boot.adjudication_id, storage), hidden);
    void startAdjudicationViewer(root, boot, wantsCanvas ? canvasViewportFactory : cornerstoneViewportFactory, storage)
      .then((started) => {
        viewer = started;
        failed = started === null;
        if (!started) return;
        started.onOwnChange = refreshForm;
        refreshForm();
        if (pendingFrame !== null) started.goTo(pendingFrame);
        const flagged = Array.from(document.querySelectorAll<HTMLElement>("#flags .frame-link[data-frame]"), (a) => Number(a.dataset["frame"]));
        started.markDisagreeing(flagged.filter((f) => Number.isInteger(f) && f >= 0));
        form?.addEventListener("own-annotation-chosen", () => {
          if (started.ownDocument() === null) started.root.querySelector<HTMLElement>(".ad-start")?.classList.add("is-prompting");
        });
      })
      .catch((err: unknown) => {
        failed = true;
        renderFatal(root, "The viewer failed to start", err instanceof Error ? err.message : String(err));
      });
  } catch (err) {
    failed = true;
    root.classList.add("vw-root");
    renderFatal(root, "The viewer is misconfigured", err instanceof Error ? err.message : String(err));
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main, { once: true });
else main();
