import { h } from "./dom.js";

export type SaveTone = "ok" | "busy" | "pending" | "error";

/** Bottom bar: save state, transient messages, frame download progress, help hint. */
export class StatusBar {
  readonly element: HTMLElement;
  private readonly save: HTMLSpanElement;
  private readonly message: HTMLSpanElement;
  private readonly progress: HTMLSpanElement;
  private readonly liveText: HTMLSpanElement;
  private messageTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(onHelp: () => void) {
    this.save = h("span", { class: "vw-save", role: "status", "aria-live": "polite" });
    this.message = h("span", { class: "vw-message", "aria-live": "polite" });
    this.progress = h("span", { class: "vw-progress" });
    this.liveText = h("span", { class: "vw-live", "aria-live": "off" });
    const help = h("button", { type: "button", class: "vw-link", "aria-label": "Keyboard shortcuts" }, "? shortcuts");
    help.addEventListener("click", onHelp);
    this.element = h("footer", { class: "vw-statusbar" }, this.save, this.liveText, this.message, this.progress, help);
  }

  setSave(text: string, tone: SaveTone): void {
    this.save.textContent = text;
    this.save.dataset["tone"] = tone;
  }

  /** Shows a message for a few seconds. */
  flash(text: string, ms = 4000): void {
    this.message.textContent = text;
    if (this.messageTimer) clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => {
      this.message.textContent = "";
      this.messageTimer = null;
    }, ms);
  }

  /** The measurement of the tool in progress (live degrees / mm), empty to hide. */
  live(text: string): void {
    if (this.liveText.textContent !== text) this.liveText.textContent = text;
  }

  setProgress(loaded: number, total: number, failed: number): void {
    const parts = [loaded >= total ? `all ${total} frames cached` : `frames cached ${loaded} / ${total}`];
    if (failed > 0) parts.push(`${failed} failed`);
    this.progress.textContent = parts.join(" · ");
  }
}
