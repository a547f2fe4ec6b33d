import { frameOf } from "../document/document.js";
import type { AnnotationDocument } from "../document/types.js";
import type { PixelSpacingMm } from "../geometry/types.js";
import { h } from "../ui/dom.js";
import { calciumSegmentsText, compareFrame, stentEdgesText } from "./frameComparison.js";
import type { LayerId } from "./layers.js";

/** Per-frame comparison table of the shown layers and the pullback-level edges / segments. */
export class ComparisonPanel {
  readonly comparison: HTMLElement;
  readonly longitudinal: HTMLElement;

  constructor(
    private readonly spacing: PixelSpacingMm | null,
    private readonly strutThresholdUm: number,
    private readonly shortLabel: (id: LayerId) => string,
  ) {
    this.comparison = h("div", { class: "ad-compare", "aria-live": "off" });
    this.longitudinal = h("dl", { class: "vw-readout ad-longitudinal" });
  }

  showFrame(frame: number, layers: ReadonlyArray<[LayerId, Readonly<AnnotationDocument>]>): void {
    if (frame < 0 || layers.length === 0) {
      this.comparison.replaceChildren(h("p", { class: "vw-muted" }, "No layer shown."));
      return;
    }
    const rows = compareFrame(
      layers.map(([, doc]) => frameOf(doc, frame)),
      this.spacing,
      this.strutThresholdUm,
    );
    if (!rows) {
      this.comparison.replaceChildren(h("p", { class: "vw-area", "data-kind": "uncalibrated" }, "uncalibrated: no pixel spacing, no mm readouts"));
      return;
    }
    const ids = layers.map(([id]) => id);
    const head = h("tr", {}, h("th", {}, ""), ...ids.map((id) => h("th", { scope: "col", class: `ad-col-${id}` }, this.shortLabel(id))));
    const body = rows.map((row) =>
      h(
        "tr",
        { "data-row": row.key, class: row.differs ? "is-different" : "" },
        h("th", { scope: "row" }, row.label),
        ...row.values.map((v, i) => h("td", { "data-layer": ids[i]! }, v)),
      ),
    );
    this.comparison.replaceChildren(h("table", { class: "ad-compare-table" }, h("thead", {}, head), h("tbody", {}, ...body)));
  }

  showPullback(layers: ReadonlyArray<[LayerId, Readonly<AnnotationDocument>]>): void {
    const items: Node[] = [];
    for (const [id, doc] of layers) {
      items.push(
        h("dt", { class: `ad-col-${id}` }, `${this.shortLabel(id)} stent edges`),
        h("dd", { "data-readout": `stent_edges_${id}` }, stentEdgesText(doc)),
        h("dt", { class: `ad-col-${id}` }, `${this.shortLabel(id)} calcium segments`),
        h("dd", { "data-readout": `calcium_segments_${id}` }, calciumSegmentsText(doc)),
      );
    }
    this.longitudinal.replaceChildren(...items);
  }
}
