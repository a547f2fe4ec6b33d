import { bootstrapId, bootstrapObject, parseViewerFields, type ViewerPageBootstrap } from "../ui/bootstrap.js";

/**
 * The adjudication page's contract: the workbench renders `<div id="adjudication-viewer">` and
 * `{{ bootstrap|json_script:"adjudication-bootstrap" }}` with `adjudication_id` plus the fields
 * every viewer page sends (pullback_id, api_base, csrf_token, frame_url_template, read_only, and
 * the optional URL templates and study settings of `ViewerBootstrap`).
 */
export interface AdjudicationBootstrap extends ViewerPageBootstrap {
  adjudication_id: number;
}

/** Parses and checks the bootstrap JSON text; throws BootstrapError naming the bad field. */
export function parseAdjudicationBootstrap(text: string): AdjudicationBootstrap {
  const o = bootstrapObject(text, "adjudication-bootstrap");
  return { ...parseViewerFields(o), adjudication_id: bootstrapId(o, "adjudication_id") };
}
