import { AnnotationAdapter } from "../adapter/annotations.js";
import type { ViewportAdapter } from "../adapter/viewport.js";
import type { ApiClient } from "../api/client.js";
import { AutoAssist } from "../auto/autoAssist.js";
import { emptyDocument, frameOf } from "../document/document.js";
import { DocumentStore } from "../document/store.js";
import type { AnnotationDocument } from "../document/types.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { createToolSet, type ToolName } from "../tools/toolSet.js";
import { h } from "../ui/dom.js";
import * as shell from "../ui/shell.js";
import type { LModeLayer } from "../viewer/lmodeView.js";
import { LAYER_SPECS, layerLabel, type LayerId } from "./layers.js";

/** One layer of the workbench: a reader's document (read-only) or the adjudicator's own. */
export interface Layer {
  readonly id: LayerId;
  readonly store: DocumentStore;
  readonly tools: Record<ToolName, Tool>;
}

/** The tool context every layer shares; each layer adds its own annotations and colours. */
export type SharedToolContext = Omit<ToolContext, "annotations" | "layerStyle">;

export function createLayer(id: LayerId, doc: AnnotationDocument | null | undefined, readOnly: boolean, shared: SharedToolContext): Layer {
  const store = new DocumentStore(doc ?? emptyDocument(), 0, { readOnly });
  const context: ToolContext = { ...shared, annotations: new AnnotationAdapter(store), layerStyle: LAYER_SPECS[id] };
  return { id, store, tools: createToolSet(context) };
}

/** Draws the layers of a pane on `frame` in order (the own layer last, so it is on top). */
export function drawLayers(
  g: CanvasRenderingContext2D,
  viewport: ViewportAdapter,
  layers: readonly Layer[],
  frame: number,
  spacing: PixelSpacingMm | null,
  strutThresholdUm: number,
): void {
  const placer = new shell.LabelPlacer();
  for (const layer of layers) {
    const annotations = frameOf(layer.store.document, frame);
    for (const tool of Object.values(layer.tools)) tool.render(g, annotations);
    shell.drawStrutLabels(g, viewport, annotations, spacing, strutThresholdUm, placer, LAYER_SPECS[layer.id].colour);
  }
}

/** The L-mode's view of the shown layers: each document in its layer colour and dash. */
export function lmodeLayers(layers: readonly Layer[]): LModeLayer[] {
  return layers.map(({ id, store }) => ({ doc: store.document, colour: LAYER_SPECS[id].colour, dash: LAYER_SPECS[id].dash }));
}

/** Reader 1 and Reader 2 read-only; the adjudicator's own layer editable unless `readOnly`. */
export function createLayers(docs: Partial<Record<LayerId, AnnotationDocument>>, readOnly: boolean, shared: SharedToolContext): Record<LayerId, Layer> {
  return {
    reader1: createLayer("reader1", docs.reader1, true, shared),
    reader2: createLayer("reader2", docs.reader2, true, shared),
    own: createLayer("own", null, readOnly, shared),
  };
}

/** The automatic proposal (SPEC §11) as an optional, display-only layer: never accepted here. */
export function proposalLayer(api: ApiClient, pullbackId: number, shared: SharedToolContext, flash: (message: string, ms: number) => void): AutoAssist {
  return new AutoAssist({
    api,
    pullbackId,
    annotations: new AnnotationAdapter(new DocumentStore(emptyDocument(), 0, { readOnly: true })),
    coords: shared.coords,
    currentFrame: shared.currentFrame,
    analysisFramesFor: () => [],
    requestRender: shared.requestRender,
    notify: (message) => flash(message, 8000),
    displayOnly: true,
  });
}

/** A pane's caption: the chips of the layers it shows. */
export function paneCaption(layers: readonly LayerId[], resolved: boolean): HTMLElement[] {
  if (!layers.length) return [h("span", { class: "ad-chip" }, "No layer shown")];
  return layers.map((id) => h("span", { class: `ad-chip ad-chip-${id}` }, layerLabel(id, resolved)));
}

/** Pointer input of a pane goes to the own layer's tool, and only where the pane shows that layer. */
export function ownPointerHooks(drawsOwn: () => boolean, use: () => Tool | null) {
  return {
    onPress: (press: Parameters<Tool["onPointerDown"]>[0]) => (drawsOwn() ? (use()?.onPointerDown(press) ?? false) : false),
    onHover: (hover: Parameters<Tool["onPointerMove"]>[0]) => void (drawsOwn() && use()?.onPointerMove(hover)),
    onRelease: () => use()?.onPointerUp(),
  };
}
