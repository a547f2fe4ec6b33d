import type { PullbackResponse } from "../api/client.js";
import type { DocumentStore } from "../document/store.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import type { ToolName } from "../tools/toolSet.js";
import { h } from "../ui/dom.js";
import * as shell from "../ui/shell.js";
import { ComparisonPanel } from "./comparisonPanel.js";
import { LayerControls, type Layout } from "./layerControls.js";
import type { Layer } from "./layerStack.js";
import { LAYER_IDS, LAYER_SPECS, type LayerId } from "./layers.js";
import type { OwnOrigin } from "./ownDocument.js";
import { OwnPanel } from "./ownPanel.js";

/** The workbench's help line under the shortcuts: which colour and dash is whose. */
export const WORKBENCH_LEGEND =
  "Reader 1 is orange (solid lines), Reader 2 sky blue (dashed), your own annotation reddish purple (dotted). Thick contour = lumen, thin = stent.";

/** The workbench's state the panel starts from. */
export interface WorkbenchState {
  readonly readOnly: boolean;
  readonly resolved: boolean;
  readonly visible: ReadonlySet<LayerId>;
  readonly layout: Layout;
  readonly spacing: PixelSpacingMm | null;
}

export interface WorkbenchPanelOptions {
  readonly ownStore: DocumentStore;
  readonly pullback: PullbackResponse;
  readonly strutThresholdUm: number;
  /** The automatic proposal's block (shown below the layer controls). */
  readonly auto: HTMLElement;
}

export interface WorkbenchPanelHooks {
  setVisible(id: LayerId, on: boolean): void;
  setLayout(layout: Layout): void;
  startOwn(origin: OwnOrigin): void;
  discardOwn(): void;
  selectTool(name: ToolName | null): void;
  adjust(brightness: number, contrast: number): void;
  angle(deg: number): void;
  resetView(): void;
}

/** The note at the top of the panel: what the adjudicator may do here. */
function banner(readOnly: boolean, resolved: boolean): string {
  if (!readOnly) {
    return "The readers' annotations are read-only. To resolve a group with your own measurements, start “My annotation” (copy of a reader or empty) and edit it with the tools.";
  }
  return resolved ? "Resolved: read-only. Reader 1, Reader 2 and, when one was signed, the adjudicator's own annotation are shown." : "Read-only view.";
}

/** The workbench's side panel: layers and layout, my annotation, this frame, the pullback, image. */
export class WorkbenchPanel {
  readonly element: HTMLElement;
  readonly layerControls: LayerControls;
  readonly own: OwnPanel;
  readonly compare: ComparisonPanel;
  readonly image: shell.ImageControls;

  constructor(state: WorkbenchState, o: WorkbenchPanelOptions, hooks: WorkbenchPanelHooks) {
    this.layerControls = new LayerControls(state.resolved, state.visible, state.layout, hooks);
    this.own = new OwnPanel(o.ownStore, {
      start: (origin) => hooks.startOwn(origin),
      discard: () => hooks.discardOwn(),
      selectTool: (n) => hooks.selectTool(n),
    });
    this.compare = new ComparisonPanel(state.spacing, o.strutThresholdUm, (id) => (id === "own" && state.resolved ? "Adj." : LAYER_SPECS[id].short));
    this.image = new shell.ImageControls(hooks);
    this.element = h(
      "aside",
      { class: "vw-panel", "aria-label": "Layers, my annotation and measurements" },
      h("p", { class: "ad-note", role: "note" }, banner(state.readOnly, state.resolved)),
      ...this.layerControls.elements,
      o.auto,
      ...(state.readOnly ? [] : this.own.elements),
      h("h2", {}, "This frame"),
      this.compare.comparison,
      h("h2", {}, "Pullback"),
      this.compare.longitudinal,
      ...this.image.elements,
      ...shell.calibrationList(o.pullback, o.strutThresholdUm),
    );
  }

  /** The per-frame comparison of the shown layers. */
  showFrame(frame: number, layers: readonly Layer[]): void {
    this.compare.showFrame(
      frame,
      layers.map((l) => [l.id, l.store.document]),
    );
  }

  /** The pullback-level comparison: both readers, and my annotation once started. */
  showPullback(layers: Readonly<Record<LayerId, Layer>>, ownStarted: boolean): void {
    this.compare.showPullback(LAYER_IDS.filter((id) => id !== "own" || ownStarted).map((id) => [id, layers[id].store.document]));
  }

  showOwnState(origin: OwnOrigin | null): void {
    this.own.update(origin, "saved as your draft on the server until you sign");
  }
}
