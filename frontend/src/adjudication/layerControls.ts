import { h } from "../ui/dom.js";
import { LAYER_IDS, LAYER_SPECS, layerLabel, type LayerId } from "./layers.js";

export type Layout = "overlay" | "side-by-side";

/** The layer legend (visibility check boxes with their keys) and the layout buttons. */
export class LayerControls {
  readonly elements: HTMLElement[];
  private readonly inputs = new Map<LayerId, HTMLInputElement>();
  private readonly layoutButtons = new Map<Layout, HTMLButtonElement>();

  constructor(
    resolved: boolean,
    visible: ReadonlySet<LayerId>,
    layout: Layout,
    hooks: { setVisible(id: LayerId, on: boolean): void; setLayout(l: Layout): void },
  ) {
    const legend = h("ul", { class: "ad-legend", "aria-label": "Layers" });
    for (const id of LAYER_IDS) {
      const input = h("input", { type: "checkbox", "data-layer": id, checked: visible.has(id) });
      input.addEventListener("change", () => hooks.setVisible(id, input.checked));
      this.inputs.set(id, input);
      const swatch = h("span", { class: `ad-swatch ad-swatch-${id}`, "aria-hidden": "true" });
      legend.append(h("li", { "data-layer": id }, h("label", {}, input, swatch, ` ${layerLabel(id, resolved)} `, h("kbd", {}, LAYER_SPECS[id].key))));
    }
    const group = h("div", { class: "vw-row ad-layout", role: "group", "aria-label": "Layout" });
    for (const [value, label] of [
      ["overlay", "Overlay"],
      ["side-by-side", "Side by side"],
    ] as const) {
      const button = h(
        "button",
        { type: "button", class: "vw-button", "data-layout": value, "aria-pressed": String(value === layout), title: "Overlay ⇄ side by side (V)" },
        label,
      );
      button.addEventListener("click", () => hooks.setLayout(value));
      this.layoutButtons.set(value, button);
      group.append(button);
    }
    this.elements = [h("h2", {}, "Layers"), legend, group];
  }

  showVisible(id: LayerId, on: boolean, enabled = true): void {
    const input = this.inputs.get(id);
    if (!input) return;
    input.checked = on;
    input.disabled = !enabled;
  }

  showLayout(layout: Layout): void {
    for (const [value, button] of this.layoutButtons) button.setAttribute("aria-pressed", String(value === layout));
  }
}
