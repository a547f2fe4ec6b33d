import type { DocumentStore } from "../document/store.js";
import { h } from "../ui/dom.js";
import { ToolButtons, undoRedoButtons } from "../ui/shell.js";
import type { ToolName } from "../tools/toolSet.js";
import { LAYER_SPECS } from "./layers.js";
import { annotatedFrames, isEmptyDocument, type OwnOrigin } from "./ownDocument.js";

/** "My annotation": start from a copy of a reader or empty, its tools, undo / redo / discard, its state. */
export class OwnPanel {
  readonly elements: HTMLElement[];
  readonly tools: ToolButtons;
  private readonly state: HTMLElement;
  private readonly startButtons = new Map<OwnOrigin, HTMLButtonElement>();
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly discardButton: HTMLButtonElement;

  constructor(
    private readonly store: DocumentStore,
    hooks: { start(origin: OwnOrigin): void; discard(): void; selectTool(name: ToolName | null): void },
  ) {
    this.state = h("p", { class: "ad-own-state", "data-readout": "own" });
    const startRow = h("div", { class: "vw-row ad-start" });
    for (const [origin, label] of [
      ["reader1", "Copy Reader 1"],
      ["reader2", "Copy Reader 2"],
      ["empty", "Start empty"],
    ] as const) {
      const button = h("button", { type: "button", class: "vw-button", "data-start": origin }, label);
      button.addEventListener("click", () => hooks.start(origin));
      this.startButtons.set(origin, button);
      startRow.append(button);
    }
    this.tools = new ToolButtons("Tools for my annotation", (name) => hooks.selectTool(name));
    [this.undoButton, this.redoButton] = undoRedoButtons(
      () => store.undo(),
      () => store.redo(),
    );
    this.discardButton = h("button", { type: "button", class: "vw-button", "data-action": "discard" }, "Discard mine");
    this.discardButton.addEventListener("click", () => hooks.discard());
    this.elements = [
      h("h2", {}, "My annotation"),
      this.state,
      startRow,
      this.tools.element,
      h("div", { class: "vw-row" }, this.undoButton, this.redoButton, this.discardButton),
    ];
  }

  /** A second click on the same start button replaces a non-empty annotation. */
  confirming(origin: OwnOrigin | null): void {
    for (const [o, b] of this.startButtons) b.classList.toggle("is-confirming", o === origin);
    if (origin === null) this.startButtons.get("empty")?.parentElement?.classList.remove("is-prompting");
  }

  update(origin: OwnOrigin | null, where: string): void {
    const started = origin !== null;
    this.undoButton.disabled = !started || !this.store.canUndo;
    this.redoButton.disabled = !started || !this.store.canRedo;
    this.discardButton.disabled = !started;
    if (!started) {
      this.state.textContent = "Not started. Copy a reader's annotation or start empty, then correct it with the tools.";
      this.state.dataset["state"] = "none";
      return;
    }
    const doc = this.store.document;
    const frames = annotatedFrames(doc);
    const from = origin === "empty" ? "started empty" : `from a copy of ${LAYER_SPECS[origin].label}`;
    this.state.textContent = isEmptyDocument(doc)
      ? `Empty (${from}). Draw on the frames concerned.`
      : `${frames.length} frame${frames.length === 1 ? "" : "s"} annotated (${from}); ${where}.`;
    this.state.dataset["state"] = isEmptyDocument(doc) ? "empty" : "drawn";
  }
}
