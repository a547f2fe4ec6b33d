import { h } from "./dom.js";
import type { FrameCompleteness } from "./completeness.js";
import { completenessSummary, nextIncomplete } from "./completeness.js";

/**
 * The analysis frames of the read with their completeness (SPEC §2): lumen, struts or stent
 * contour inside the stent, calcium where marked; a click goes to the frame, "Next incomplete"
 * (key I) to the next frame still lacking something.
 */
export class FramePanel {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly summary: HTMLElement;
  private rows: FrameCompleteness[] = [];
  private current = -1;

  constructor(
    private readonly frameSpacingMm: number | null,
    private readonly goTo: (frame: number) => void,
    private readonly notify: (message: string) => void,
  ) {
    this.summary = h("p", { class: "vw-frames-summary", "data-readout": "completeness" });
    this.list = h("ol", { class: "vw-frames", "aria-label": "Analysis frames" });
    const next = h(
      "button",
      { type: "button", class: "vw-button", "data-action": "next-incomplete", title: "Next incomplete analysis frame (I)", "aria-keyshortcuts": "I" },
      "Next incomplete ",
      h("kbd", {}, "I"),
    );
    next.addEventListener("click", () => this.nextIncomplete());
    this.element = h("section", { class: "vw-framepanel", "aria-label": "Analysis frames" }, h("h2", {}, "Analysis frames"), this.summary, next, this.list);
  }

  get completeness(): readonly FrameCompleteness[] {
    return this.rows;
  }

  summaryText(stentEdgesMissing: boolean): string {
    return completenessSummary(this.rows, stentEdgesMissing);
  }

  update(rows: FrameCompleteness[], stentEdgesMissing: boolean): void {
    this.rows = rows;
    this.summary.textContent = rows.length ? this.summaryText(stentEdgesMissing) : "No analysis frames yet: set the stent edges (E).";
    this.list.replaceChildren(
      ...rows.map((r) => {
        const position = this.frameSpacingMm ? ` · ${(r.frame * this.frameSpacingMm).toFixed(1)} mm` : "";
        const marks = [
          h("span", { class: `vw-mark ${r.lumen ? "is-done" : "is-missing"}`, title: r.lumen ? "lumen drawn" : "lumen missing" }, "L"),
          ...(r.stented
            ? [
                h(
                  "span",
                  { class: `vw-mark ${r.stent ? "is-done" : "is-missing"}`, title: r.stent ? "struts / stent drawn" : "struts or stent contour missing" },
                  "S",
                ),
              ]
            : []),
          ...(r.calcium ? [h("span", { class: "vw-mark is-calcium", title: "calcium marked" }, "Ca")] : []),
        ];
        const item = h(
          "li",
          { "data-frame": r.frame, "data-complete": String(r.complete), class: r.frame === this.current ? "is-current" : "" },
          h(
            "button",
            { type: "button", class: "vw-frame-link", "aria-label": `Frame ${r.frame + 1}${r.complete ? ", complete" : ", incomplete"}` },
            `${r.frame + 1}${position}`,
          ),
          ...marks,
        );
        item.querySelector("button")!.addEventListener("click", () => this.goTo(r.frame));
        return item;
      }),
    );
  }

  /** Highlights the frame shown (and keeps it in view in the list). */
  setCurrent(frame: number): void {
    this.current = frame;
    for (const li of this.list.children) {
      const on = (li as HTMLElement).dataset["frame"] === String(frame);
      li.classList.toggle("is-current", on);
      if (on) (li as HTMLElement).scrollIntoView?.({ block: "nearest" });
    }
  }

  nextIncomplete(): void {
    if (this.rows.length === 0) {
      this.notify("No analysis frames until the stent edges are set (E).");
      return;
    }
    const target = nextIncomplete(this.rows, this.current);
    if (target === null) this.notify("Every analysis frame is complete.");
    else this.goTo(target);
  }
}
