import { h } from "./dom.js";

export const SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ["Wheel, ← → ↑ ↓", "previous / next frame"],
  ["Page Up / Page Down", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Ctrl + wheel, + / −", "zoom in / out"],
  ["Middle-drag, Space + drag", "pan"],
  ["R", "reset zoom, pan, brightness and contrast"],
  ["L", "lumen contour tool"],
  ["S", "strut tool"],
  ["N", "navigate only (no tool)"],
  ["Click", "lumen: add a point · struts: add, or remove the one under the cursor"],
  ["Enter, double-click", "close the lumen contour"],
  ["Backspace", "remove the last contour point"],
  ["Escape", "cancel the open contour"],
  ["Delete", "remove this frame's lumen contour"],
  ["Ctrl + Z / Ctrl + Shift + Z (Ctrl + Y)", "undo / redo"],
  ["?", "show / hide this help"],
];

/** Modal list of keyboard shortcuts (press ?). */
export class HelpOverlay {
  readonly element: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor() {
    const rows = SHORTCUTS.map(([keys, what]) => h("tr", {}, h("th", { scope: "row" }, keys), h("td", {}, what)));
    const close = h("button", { type: "button", class: "vw-button", "aria-label": "Close shortcuts help" }, "Close");
    close.addEventListener("click", () => this.close());
    const title = h("h2", { id: "vw-help-title" }, "Keyboard shortcuts");
    this.element = h(
      "div",
      { class: "vw-help", role: "dialog", "aria-modal": "true", "aria-labelledby": "vw-help-title", hidden: true },
      h("div", { class: "vw-help-card" }, title, h("table", {}, h("tbody", {}, ...rows)), close),
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
