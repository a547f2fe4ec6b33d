import { ApiError } from "../api/client.js";
import { h } from "./dom.js";

/**
 * Modal asking for the reader's password to sign the submission (SPEC §9 submit). `submit`
 * performs the request; a wrong password (403 `password_invalid`) keeps the dialog open with the
 * server's message, anything else is shown too. Resolves true once submitted.
 */
export class SubmitDialog {
  readonly element: HTMLElement;
  private readonly password: HTMLInputElement;
  /** Hidden, for password managers and the browser's "password form" check. */
  private readonly username: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly confirm: HTMLButtonElement;
  private busy = false;

  constructor(private readonly submit: (password: string) => Promise<void>) {
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

  open(): void {
    this.password.value = "";
    this.error.textContent = "";
    this.element.hidden = false;
    this.password.focus();
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
    this.busy = true;
    this.confirm.disabled = true;
    this.error.textContent = "";
    try {
      await this.submit(this.password.value);
      this.busy = false;
      this.close();
    } catch (err) {
      this.busy = false;
      this.password.value = "";
      this.password.focus();
      if (err instanceof ApiError && err.code === "password_invalid") this.error.textContent = err.detail || "Wrong password.";
      else this.error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      this.confirm.disabled = false;
    }
  }
}
