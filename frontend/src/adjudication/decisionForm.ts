import type { AnnotationDocument } from "../document/types.js";
import { h } from "../ui/dom.js";
import { groupsMissingOwn, OWN_SOURCE, ownAnnotationsFieldValue } from "./ownDocument.js";

/** The source chosen per group in the workbench form (`source-<group>` radios). */
export function chosenSources(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of Array.from(form.querySelectorAll<HTMLInputElement>('input[type="radio"][name^="source-"]'))) {
    if (input.checked) out[input.name.slice("source-".length)] = input.value;
  }
  return out;
}

/**
 * Follows `.frame-link[data-frame]` links (the frames behind each flag) in the viewer instead of
 * the page anchor: `go` shows the frame and brings the viewer into view. The link followed last
 * is marked `aria-current`.
 */
export function bindFrameLinks(scope: ParentNode, go: (frame: number) => void): void {
  const links = Array.from(scope.querySelectorAll<HTMLAnchorElement>(".frame-link[data-frame]"));
  for (const link of links) {
    link.addEventListener("click", (ev) => {
      const frame = Number(link.dataset["frame"]);
      if (!Number.isInteger(frame) || frame < 0) return;
      ev.preventDefault();
      for (const other of links) other.removeAttribute("aria-current");
      link.setAttribute("aria-current", "true");
      go(frame);
    });
  }
}

const MISSING_TEXT =
  "You chose “My own annotation” for this group, but you have not drawn one yet. In the viewer, under “My annotation”, copy a reader or start empty and draw the frames concerned — or choose Reader 1 or Reader 2.";

/**
 * Wires the decision form to the viewer's own document:
 * - choosing "My own annotation" for a group while none is drawn shows an inline message in that
 *   group at once (and again on submit, which is then held back);
 * - on submit, the own document goes into the hidden `annotations` field as JSON, only when some
 *   group's source is the adjudicator (the server refuses a document nobody chose).
 * @returns a function to call when the own document changed (re-checks the messages).
 */
export function bindDecisionForm(form: HTMLFormElement, hidden: HTMLInputElement, ownDocument: () => AnnotationDocument | null | undefined): () => void {
  const summary = h("p", { class: "wb-own-missing", role: "alert", id: "own-missing-summary", hidden: true });
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit) submit.before(summary);
  else form.append(summary);

  const messageFor = (group: string): HTMLElement | null => form.querySelector<HTMLElement>(`.wb-own-missing[data-group="${CSS.escape(group)}"]`);

  const refresh = (): string[] => {
    const own = ownDocument();
    // Undefined: the viewer is not running (failed to load); leave the check to the server.
    const missing = own === undefined ? [] : groupsMissingOwn(chosenSources(form), own);
    for (const fieldset of Array.from(form.querySelectorAll<HTMLElement>("fieldset[id^='group-']"))) {
      const group = fieldset.id.slice("group-".length);
      let message = messageFor(group);
      if (missing.includes(group)) {
        if (!message) {
          message = h("p", { class: "wb-own-missing", role: "alert", "data-group": group }, MISSING_TEXT);
          fieldset.querySelector(".sources")?.after(message);
          if (!message.isConnected) fieldset.append(message);
        }
      } else message?.remove();
    }
    if (missing.length === 0) summary.hidden = true;
    return missing;
  };

  form.addEventListener("change", (ev) => {
    const target = ev.target;
    if (target instanceof HTMLInputElement && target.type === "radio" && target.name.startsWith("source-")) {
      refresh();
      if (target.value === OWN_SOURCE && target.checked) form.dispatchEvent(new CustomEvent("own-annotation-chosen", { bubbles: true }));
    }
  });

  form.addEventListener("submit", (ev) => {
    const missing = refresh();
    if (missing.length > 0) {
      ev.preventDefault();
      summary.textContent = `Draw your own annotation first (${missing.join(", ")}): the group${missing.length === 1 ? " is" : "s are"} set to “My own annotation” but the viewer holds none.`;
      summary.hidden = false;
      messageFor(missing[0]!)?.scrollIntoView({ block: "center" });
      return;
    }
    const own = ownDocument();
    if (own !== undefined) hidden.value = ownAnnotationsFieldValue(chosenSources(form), own);
  });

  refresh();
  return () => void refresh();
}

/**
 * After signing, the worker writes the consensus: poll the adjudication (the page's only API
 * call besides the viewer's) until the pullback reaches `consensus`, then call `done` (the page
 * reloads to show the consensus table). Gives up quietly after `maxTries`.
 */
export function pollUntilConsensus(
  fetchStatus: () => Promise<string>,
  done: () => void,
  options: { intervalMs?: number; maxTries?: number; setTimer?: (fn: () => void, ms: number) => unknown } = {},
): void {
  const interval = options.intervalMs ?? 1500;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  let tries = options.maxTries ?? 200;
  const tick = (): void => {
    if (tries-- <= 0) return;
    fetchStatus().then(
      (status) => (status === "consensus" ? done() : void setTimer(tick, interval)),
      () => void setTimer(tick, interval * 2),
    );
  };
  setTimer(tick, interval);
}
