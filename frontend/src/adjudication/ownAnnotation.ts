import { emptyDocument } from "../document/document.js";
import type { AnnotationDocument } from "../document/types.js";
import type { Layer } from "./layerStack.js";
import { LAYER_SPECS, type LayerId } from "./layers.js";
import { isEmptyDocument, startOwnDocument, type OwnOrigin } from "./ownDocument.js";
import type { OwnPersistence } from "./ownPersistence.js";

/** What the page (the decision form) needs from the viewer. */
export interface OwnAnnotationHost {
  /** The adjudicator's own document, or null when none was started. */
  ownDocument(): AnnotationDocument | null;
  /** Called whenever the own document changes (started, edited, discarded). */
  onOwnChange: (() => void) | null;
}

/** What starting or discarding "my annotation" changes on the workbench. */
export interface OwnAnnotationHooks {
  flash(message: string, ms?: number): void;
  /** Asks (origin) or stops asking (null) to confirm replacing a non-empty annotation. */
  confirming(origin: OwnOrigin | null): void;
  /** The own document was started from `origin`, or discarded (null). */
  changed(origin: OwnOrigin | null): void;
}

/**
 * "My annotation": started from a copy of a reader's document (or empty), replaced only after
 * a second click when it is not empty, discarded on request; persisted by OwnPersistence.
 */
export class OwnAnnotation {
  private pendingReplace: OwnOrigin | null = null;

  constructor(
    private readonly layers: Readonly<Record<LayerId, Layer>>,
    private readonly persist: OwnPersistence,
    private readonly editable: boolean,
    private readonly hooks: OwnAnnotationHooks,
  ) {}

  /** Where the own document came from, or null when none was started. */
  get origin(): OwnOrigin | null {
    return this.persist.origin;
  }

  document(): AnnotationDocument | null {
    return this.origin === null ? null : this.layers.own.store.document;
  }

  start(origin: OwnOrigin): void {
    if (!this.editable) return;
    const current = this.document();
    if (current && !isEmptyDocument(current) && this.pendingReplace !== origin) {
      this.pendingReplace = origin;
      this.hooks.flash("Your annotation is not empty: click the same button again to replace it.", 6000);
      this.hooks.confirming(origin);
      return;
    }
    this.pendingReplace = null;
    this.hooks.confirming(null);
    this.set(origin, startOwnDocument(origin, { reader1: this.layers.reader1.store.document, reader2: this.layers.reader2.store.document }));
    this.hooks.flash(
      origin === "empty" ? "Started an empty annotation of your own." : `Started from a copy of ${LAYER_SPECS[origin].label}; the original stays unchanged.`,
    );
  }

  discard(): void {
    if (!this.editable || this.origin === null) return;
    this.pendingReplace = null;
    this.set(null, emptyDocument());
    this.hooks.flash("Your annotation was discarded.");
  }

  private set(origin: OwnOrigin | null, doc: AnnotationDocument): void {
    for (const tool of Object.values(this.layers.own.tools)) tool.cancelDraft();
    this.persist.reset(origin, doc);
    this.hooks.changed(origin);
  }
}
