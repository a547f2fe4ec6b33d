import { h } from "./dom.js";

export const SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ["Wheel, ← → ↑ ↓", "previous / next frame"],
  ["Page Up / Page Down", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["[ / ]", "previous / next analysis frame (every sampling interval, ticks on the slider)"],
  ["I", "next incomplete analysis frame (frame list on the left: L lumen, S struts / stent, Ca calcium)"],
  ["Enter (no drawing open)", "tool sequence: skip to the next tool (lumen → struts → calcium arc → thickness → next incomplete frame)"],
  ["Y", "accept the automatic proposal on this frame"],
  ["P", "play / pause cine (rate next to the button)"],
  ["Click on the L-mode", "go to that frame (edge and segment tools: mark it)"],
  ["Ctrl + wheel, + / −", "zoom in / out"],
  ["Middle-drag, Space + drag", "pan"],
  ["R", "reset zoom, pan, brightness and contrast"],
  ["N", "navigate only (no tool)"],
  ["L / T", "lumen contour / stent contour: click points; Enter, double-click or first point closes"],
  ["Drag a vertex, Shift + click a vertex", "contours: move / remove that point"],
  ["S", "struts: click to add, click a strut to remove it"],
  ["A", "calcium arc: click the first edge, then the second (clockwise, seen from the lumen centre)"],
  ["K", "calcium thickness: two clicks across the thickest part"],
  ["E", "stent edges: click the L-mode (or Enter for this frame) twice; later clicks move the nearer edge"],
  ["G", "calcium segment: start, then end, on the L-mode (or Enter for this frame)"],
  ["Backspace", "remove the last contour point"],
  ["Escape", "cancel what is being drawn"],
  ["Delete", "remove this frame's item of the active tool"],
  ["Ctrl + Z / Ctrl + Shift + Z (Ctrl + Y)", "undo / redo"],
  ["?", "show / hide this help"],
];

/** Modal list of keyboard shortcuts (press ?). */
export class HelpOverlay {
  readonly element: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor(shortcuts: ReadonlyArray<readonly [string, string]> = SHORTCUTS, intro?: string) {
    const rows = shortcuts.map(([keys, what]) => h("tr", {}, h("th", { scope: "row" }, keys), h("td", {}, what)));
    const close = h("button", { type: "button", class: "vw-button", "aria-label": "Close shortcuts help" }, "Close");
    close.addEventListener("click", () => this.close());
    const title = h("h2", { id: "vw-help-title" }, "Keyboard shortcuts");
    this.element = h(
      "div",
      { class: "vw-help", role: "dialog", "aria-modal": "true", "aria-labelledby": "vw-help-title", hidden: true },
      h("div", { class: "vw-help-card" }, title, ...(intro ? [h("p", {}, intro)] : []), h("table", {}, h("tbody", {}, ...rows)), close),
    );
    this.element.addEventListener("click", (ev) => {
      if (ev.target === this.element) this.close();
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(): void {
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.element.hidden = false;
    this.element.querySelector("button")?.focus();
  }

  close(): void {
    this.element.hidden = true;
    this.returnFocus?.focus();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }
}
