import type { ApiClient } from "../api/client.js";
import type { Autosaver } from "../document/autosave.js";
import type { DocumentStore } from "../document/store.js";
import type { AnnotationDocument } from "../document/types.js";
import type { MissingWork } from "./submitDialog.js";
import { h } from "./dom.js";
import { SubmitDialog } from "./submitDialog.js";

/** What the submission needs from the reading page. */
export interface SubmissionHooks {
  /** Ends any half-drawn contour or measurement before the read is checked. */
  cancelDrafts(): void;
  /** What the read still lacks (the completeness check shown in the dialog). */
  missingWork(doc: Readonly<AnnotationDocument>): MissingWork;
  flash(message: string): void;
  /** The read was submitted: the page turns read-only. */
  submitted(): void;
}

/**
 * The read's submit wiring: the "Submit read…" button, the signing dialog with the
 * completeness check, and the guards that flush unsaved work (tab hidden, page left).
 */
export class ReadSubmission {
  readonly button: HTMLButtonElement;
  readonly dialog: SubmitDialog;

  constructor(
    private readonly store: DocumentStore,
    private readonly autosaver: Autosaver,
    private readonly api: ApiClient,
    private readonly readId: number,
    private readonly hooks: SubmissionHooks,
  ) {
    this.dialog = new SubmitDialog((password, incomplete) => this.submit(password, incomplete));
    this.button = h("button", { type: "button", class: "vw-button vw-primary vw-submit-button" }, "Submit read…");
    this.button.addEventListener("click", () => void this.open());
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /** Shows whether the read can still be submitted. */
  showReadOnly(readOnly: boolean): void {
    this.button.disabled = readOnly;
    this.button.textContent = readOnly ? "Submitted (read-only)" : "Submit read…";
  }

  /** Saves on tab hide and warns before leaving the page with unsaved changes. */
  guardUnsaved(): void {
    window.addEventListener("beforeunload", (ev) => {
      if (this.store.dirty || this.autosaver.pending) {
        ev.preventDefault();
        ev.returnValue = "";
      }
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") void this.autosaver.flush();
    });
  }

  private async open(): Promise<void> {
    if (this.store.readOnly) return;
    this.hooks.cancelDrafts();
    await this.autosaver.flush();
    if (this.store.inConflict || this.store.dirty) {
      this.hooks.flash("Save your changes first (resolve the conflict or the save error above).");
      return;
    }
    this.dialog.open(this.hooks.missingWork(this.store.document));
  }

  private async submit(password: string, incomplete?: { reason: string }): Promise<void> {
    await this.autosaver.flush();
    if (this.store.dirty) throw new Error("Your latest changes are not saved yet; try again in a moment.");
    await this.api.submitRead(this.readId, password, incomplete);
    this.hooks.submitted();
    this.hooks.flash("Read submitted. It is now read-only.");
  }
}
