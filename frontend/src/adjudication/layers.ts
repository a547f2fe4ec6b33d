import type { BlindedRead } from "../api/types.js";
import { documentFromServer } from "../document/document.js";
import type { AnnotationDocument } from "../document/types.js";
import type { LayerStyle } from "../tools/tool.js";

/** The documents the adjudication viewer can draw: the two blinded reads and the adjudicator's. */
export type LayerId = "reader1" | "reader2" | "own";

export const LAYER_IDS: readonly LayerId[] = ["reader1", "reader2", "own"];

export interface LayerSpec extends LayerStyle {
  readonly id: LayerId;
  /** What the legend says. */
  readonly label: string;
  /** Short tag for tight places (L-mode lanes, readout columns). */
  readonly short: string;
  /** Keyboard shortcut that shows / hides the layer. */
  readonly key: string;
}

/**
 * Colours from the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies) and, redundantly, a dash pattern per layer, so the two readers stay apart in
 * greyscale too: Reader 1 orange solid, Reader 2 sky blue dashed, the adjudicator reddish purple
 * dotted. All three are bright enough on the dark OCT background.
 */
export const LAYER_SPECS: Readonly<Record<LayerId, LayerSpec>> = {
  reader1: { id: "reader1", label: "Reader 1", short: "R1", key: "1", colour: "#E69F00", dash: [] },
  reader2: { id: "reader2", label: "Reader 2", short: "R2", key: "2", colour: "#56B4E9", dash: [7, 4] },
  own: { id: "own", label: "My annotation", short: "Mine", key: "3", colour: "#CC79A7", dash: [2, 3] },
};

/** The layer a read of the adjudication API belongs to, by its label; null for anything else. */
export function layerOfRead(label: string): LayerId | null {
  switch (label.trim().toLowerCase()) {
    case "reader 1":
      return "reader1";
    case "reader 2":
      return "reader2";
    case "adjudicator":
      return "own";
    default:
      return null;
  }
}

/** The documents of the adjudication's reads, by layer (a label seen twice keeps the first). */
export function documentsByLayer(reads: readonly BlindedRead[]): Partial<Record<LayerId, AnnotationDocument>> {
  const out: Partial<Record<LayerId, AnnotationDocument>> = {};
  for (const read of reads) {
    const layer = layerOfRead(read.label);
    if (layer && !out[layer]) out[layer] = documentFromServer(read.annotations);
  }
  return out;
}

/** The legend label of a layer: after resolution the third document is the stored "Adjudicator" read. */
export function layerLabel(id: LayerId, resolved: boolean): string {
  return id === "own" && resolved ? "Adjudicator" : LAYER_SPECS[id].label;
}

/**
 * Which layers each viewport pane draws: one pane with every visible layer (overlay), or one
 * pane per visible layer (side by side, in Reader 1, Reader 2, mine order). With nothing
 * visible there is still one (empty) pane, so the image stays on screen.
 */
export function paneLayers(layout: "overlay" | "side-by-side", visible: ReadonlySet<LayerId>): LayerId[][] {
  const shown = LAYER_IDS.filter((id) => visible.has(id));
  if (layout === "overlay" || shown.length <= 1) return [shown];
  return shown.map((id) => [id]);
}
