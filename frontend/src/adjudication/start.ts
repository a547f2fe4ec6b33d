import { ApiClient, type AdjudicationResponse, type PullbackResponse } from "../api/client.js";
import { h } from "../ui/dom.js";
import * as shell from "../ui/shell.js";
import { AdjudicationViewer } from "./adjudicationViewer.js";
import type { AdjudicationBootstrap } from "./bootstrap.js";
import type { DraftStorage } from "./ownDocument.js";

const NOT_FOUND = "This adjudication was not found, or you have no access to it.";

/** Loads the adjudication (both blinded reads) and its pullback, then mounts the viewer into `root`. */
export async function startAdjudicationViewer(
  root: HTMLElement,
  boot: AdjudicationBootstrap,
  viewportFactory: shell.ViewportFactory = shell.canvasViewportFactory,
  storage: DraftStorage | null = null,
): Promise<AdjudicationViewer | null> {
  root.classList.add("vw-root", "ad-root");
  root.replaceChildren(h("p", { class: "vw-loading" }, "Loading both reads…"));
  const api = new ApiClient(boot.api_base, boot.csrf_token);
  let adjudication: AdjudicationResponse;
  let pullback: PullbackResponse;
  try {
    [adjudication, pullback] = await Promise.all([api.getAdjudication(boot.adjudication_id), api.getPullback(boot.pullback_id)]);
  } catch (err) {
    shell.renderFatal(root, "The viewer could not load this adjudication", shell.describeLoadError(err, NOT_FOUND));
    return null;
  }
  if (adjudication.pullback !== pullback.id) {
    shell.renderFatal(root, "The viewer could not load this adjudication", "The adjudication does not belong to this pullback.");
    return null;
  }
  if (!(pullback.n_frames > 0 && pullback.rows > 0 && pullback.columns > 0)) {
    shell.renderFatal(root, "This pullback cannot be shown", "It has no frames.");
    return null;
  }
  const viewer = new AdjudicationViewer(root, boot, adjudication, pullback, storage, viewportFactory, api);
  await viewer.mount();
  return viewer;
}
