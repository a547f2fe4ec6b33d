import { fetchFirstFrame } from "../viewer/frameLoader.js";
import { ApiClient, type PullbackResponse, type ReadResponse } from "../api/client.js";
import type { ViewerBootstrap } from "./bootstrap.js";
import { h } from "./dom.js";
import { NOT_FOUND, ReadingApp } from "./readingApp.js";
import * as shell from "./shell.js";

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
  let read: ReadResponse;
  let pullback: PullbackResponse;
  try {
    [read, pullback] = await Promise.all([api.getRead(boot.read_id), api.getPullback(boot.pullback_id)]);
  } catch (err) {
    shell.renderFatal(root, "The viewer could not load this read", shell.describeLoadError(err, NOT_FOUND));
    return null;
  }
  const refusal =
    read.pullback !== pullback.id
      ? (["The viewer could not load this read", "The read does not belong to this pullback."] as const)
      : shell.unshowablePullback(pullback);
  if (refusal) {
    shell.renderFatal(root, refusal[0], refusal[1]);
    return null;
  }
  const app = new ReadingApp(root, boot, api, read, pullback);
  app.loader.adopt(0, firstFrame);
  await app.mount(viewportFactory);
  return app;
}
