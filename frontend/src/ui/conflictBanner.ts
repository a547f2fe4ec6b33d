import type { ApiClient } from "../api/client.js";
import { documentFromServer } from "../document/document.js";
import type { DocumentStore } from "../document/store.js";
import { h } from "./dom.js";

/** What resolving a conflict needs from the page. */
export interface ConflictHooks {
  flush(): Promise<void>;
  cancelDrafts(): void;
  /** The read turned out submitted meanwhile. */
  becameReadOnly(): void;
  flash(message: string): void;
  describe(err: unknown): string;
}

/** The 409 banner: "keep mine" or "load the saved version", shown while the store is in conflict. */
export class ConflictBanner {
  readonly element: HTMLElement;

  constructor(
    private readonly store: DocumentStore,
    private readonly api: ApiClient,
    private readonly readId: number,
    private readonly hooks: ConflictHooks,
  ) {
    this.element = h("div", { class: "vw-banner vw-banner-warn", role: "alert", hidden: true });
  }

  render(): void {
    const state = this.store.saveState;
    if (state.kind !== "conflict") {
      this.element.hidden = true;
      this.element.replaceChildren();
      return;
    }
    if (!this.element.hidden) return;
    const keep = h("button", { type: "button", class: "vw-button vw-primary" }, "Keep mine (overwrite with my version)");
    const load = h("button", { type: "button", class: "vw-button" }, "Load the saved version (discard mine)");
    keep.addEventListener("click", () => void this.keepMine(state.serverVersion));
    load.addEventListener("click", () => void this.loadSaved());
    this.element.replaceChildren(
      h(
        "p",
        {},
        h("strong", {}, "Someone or another tab saved this read"),
        state.serverVersion === null ? "." : ` (now version ${state.serverVersion}).`,
        " Your changes are still here and have not been saved. Choose:",
      ),
      h("div", { class: "vw-row" }, keep, load),
    );
    this.element.hidden = false;
  }

  private async keepMine(serverVersion: number | null): Promise<void> {
    try {
      const read = await this.api.getRead(this.readId);
      if (read.status === "submitted") {
        this.hooks.becameReadOnly();
        this.hooks.flash("This read was submitted meanwhile; it cannot be changed.");
        return;
      }
      this.store.keepMine(serverVersion ?? read.version);
      await this.hooks.flush();
    } catch (err) {
      this.hooks.flash(`Could not resolve the conflict: ${this.hooks.describe(err)}`);
    }
  }

  private async loadSaved(): Promise<void> {
    try {
      const read = await this.api.getRead(this.readId);
      this.hooks.cancelDrafts();
      this.store.load(documentFromServer(read.annotations), read.version);
      if (read.status === "submitted" && !this.store.readOnly) this.hooks.becameReadOnly();
      this.hooks.flash(`Loaded the saved version (v${read.version}).`);
    } catch (err) {
      this.hooks.flash(`Could not load the saved version: ${this.hooks.describe(err)}`);
    }
  }
}
