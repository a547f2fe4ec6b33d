import { ApiError } from "../api/client.js";
import { h } from "./dom.js";

/** What a read still lacks before it may be submitted (SPEC §2). */
export interface MissingWork {
  /** Analysis frames without a lumen, or inside the stent without struts or stent contour. */
  frames: number[];
  stentEdgesMissing: boolean;
  /** "12 of 30 analysis frames complete · calcium marked on 4" (the viewer's own count). */
  summary?: string;
}

/** "frames 4, 9, 14 and 3 more" (the first `shown` listed). */
export function framesText(frames: readonly number[], shown = 15): string {
  const head = frames.slice(0, shown).join(", ");
  return frames.length > shown ? `${head} and ${frames.length - shown} more` : head;
}

/**
 * Modal asking for the reader's password to sign the submission (SPEC §9 submit). `submit`
 * performs the request; a wrong password (403 `password_invalid`) keeps the dialog open with the
 * server's message, anything else is shown too. An incomplete read (SPEC §2) lists the missing
 * frames first and is only sent with "submit incomplete" ticked and a reason (the server's own
 * 400 `incomplete` answer refreshes the list). Resolves true once submitted.
 */
export class SubmitDialog {
  readonly element: HTMLElement;
  private readonly password: HTMLInputElement;
  /** Hidden, for password managers and the browser's "password form" check. */
  private readonly username: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly confirm: HTMLButtonElement;
  private readonly missing: HTMLElement;
  private readonly allowIncomplete: HTMLInputElement;
  private readonly reason: HTMLTextAreaElement;
  private readonly incompleteBox: HTMLElement;
  private busy = false;
  private summary = "";

  constructor(private readonly submit: (password: string, incomplete?: { reason: string }) => Promise<void>) {
    this.missing = h("div", { class: "vw-submit-missing", role: "status" });
    this.allowIncomplete = h("input", { type: "checkbox", id: "vw-submit-allow-incomplete" });
    this.reason = h("textarea", { id: "vw-submit-reason", rows: 2, maxlength: 2000 });
    this.incompleteBox = h(
      "div",
      { class: "vw-submit-incomplete", hidden: true },
      h("label", { for: "vw-submit-allow-incomplete" }, this.allowIncomplete, " Submit it incomplete anyway"),
      h("label", { for: "vw-submit-reason" }, "Reason (kept with the read)"),
      this.reason,
    );
    this.username = h("input", { type: "text", autocomplete: "username", hidden: true, "aria-hidden": "true", tabindex: -1 });
    this.password = h("input", { type: "password", id: "vw-submit-password", autocomplete: "current-password", required: true });
    this.error = h("p", { class: "vw-submit-error", role: "alert" });
    this.confirm = h("button", { type: "submit", class: "vw-button vw-primary" }, "Sign and submit");
    const cancel = h("button", { type: "button", class: "vw-button" }, "Cancel");
    cancel.addEventListener("click", () => this.close());
    const form = h(
      "form",
      { class: "vw-help-card vw-submit-card" },
      h("h2", { id: "vw-submit-title" }, "Submit this read"),
      this.missing,
      this.incompleteBox,
      h("p", {}, "After submitting, the annotations can no longer be changed. Enter your password to sign."),
      this.username,
      h("label", { for: "vw-submit-password" }, "Password"),
      this.password,
      this.error,
      h("div", { class: "vw-row" }, this.confirm, cancel),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.onConfirm();
    });
    this.element = h("div", { class: "vw-help vw-submit", role: "dialog", "aria-modal": "true", "aria-labelledby": "vw-submit-title", hidden: true }, form);
    this.element.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.stopPropagation();
        this.close();
      }
      // Keys typed in the dialog never reach the viewer's shortcuts.
      ev.stopPropagation();
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Opens the dialog; `missing` (what the viewer found lacking) is listed first. */
  open(missing?: MissingWork): void {
    this.password.value = "";
    this.error.textContent = "";
    this.allowIncomplete.checked = false;
    this.reason.value = "";
    this.showMissing(missing ?? { frames: [], stentEdgesMissing: false });
    this.element.hidden = false;
    this.password.focus();
  }

  /** Lists what the read lacks and offers the incomplete submission (hidden when complete). */
  showMissing(missing: MissingWork): void {
    const lines: HTMLElement[] = [];
    if (missing.stentEdgesMissing) lines.push(h("li", {}, "The stent's distal and proximal edges are not marked."));
    if (missing.frames.length) {
      // Frames count from 1 on screen, as in the viewer's counter and frame list.
      lines.push(h("li", {}, `Analysis frames not fully annotated: ${framesText(missing.frames.map((f) => f + 1))}.`));
    }
    const incomplete = lines.length > 0;
    if (missing.summary !== undefined) this.summary = missing.summary;
    const summary = this.summary ? [h("p", { class: "vw-submit-summary" }, this.summary)] : [];
    this.missing.replaceChildren(
      ...summary,
      ...(incomplete ? [h("p", { class: "vw-submit-warning" }, "This read is incomplete:"), h("ul", {}, ...lines)] : []),
    );
    this.incompleteBox.hidden = !incomplete;
  }

  /** The frames listed as missing, as shown (for tests and the status bar). */
  get missingText(): string {
    return this.missing.textContent ?? "";
  }

  close(): void {
    if (this.busy) return;
    this.element.hidden = true;
  }

  private async onConfirm(): Promise<void> {
    if (this.busy) return;
    if (!this.password.value) {
      this.error.textContent = "Enter your password.";
      return;
    }
    const incomplete = !this.incompleteBox.hidden && this.allowIncomplete.checked;
    if (incomplete && !this.reason.value.trim()) {
      this.error.textContent = "Give a reason for submitting an incomplete read.";
      this.reason.focus();
      return;
    }
    if (!this.incompleteBox.hidden && !incomplete) {
      this.error.textContent = "Annotate the frames listed above, or tick “Submit it incomplete anyway” and give a reason.";
      return;
    }
    this.busy = true;
    this.confirm.disabled = true;
    this.error.textContent = "";
    try {
      await this.submit(this.password.value, incomplete ? { reason: this.reason.value.trim() } : undefined);
      this.busy = false;
      this.close();
    } catch (err) {
      this.busy = false;
      this.password.value = "";
      this.password.focus();
      if (err instanceof ApiError && err.code === "password_invalid") this.error.textContent = err.detail || "Wrong password.";
      else if (err instanceof ApiError && err.code === "incomplete") {
        // The server's check is the authority: show its list and offer the incomplete submission.
        this.showMissing({ frames: err.frames ?? [], stentEdgesMissing: /stent.s distal/.test(err.detail) });
        this.error.textContent = err.detail;
      } else this.error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      this.confirm.disabled = false;
    }
  }
}
