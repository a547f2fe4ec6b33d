import type { ApiClient } from "../api/client.js";
import { documentFromServer } from "../document/document.js";
import type { DocumentStore } from "../document/store.js";
import type { AnnotationDocument } from "../document/types.js";
import { OwnDraftKeeper, type DraftStorage, type OwnOrigin } from "./ownDocument.js";
import { ServerDraft } from "./serverDraft.js";

/**
 * Where the adjudicator's own annotation lives while the case is open: the server draft
 * (versioned, what other tabs and devices see) and this tab's copy (survives a reload before
 * the last save went out). Tracks the origin ("reader1", "reader2", "empty"; null = none).
 */
export class OwnPersistence {
  origin: OwnOrigin | null = null;
  private readonly keeper: OwnDraftKeeper;
  private readonly server: ServerDraft;

  constructor(
    private readonly store: DocumentStore,
    api: ApiClient,
    adjudicationId: number,
    storage: DraftStorage | null,
    private readonly editable: boolean,
    report: (text: string, tone: "ok" | "busy" | "error") => void,
  ) {
    this.keeper = new OwnDraftKeeper(adjudicationId, storage);
    this.server = new ServerDraft(api, adjudicationId, report);
  }

  /** The starting document: the signed adjudicator read once resolved, else this tab's copy. */
  initial(resolved: boolean, signed: AnnotationDocument | null | undefined): AnnotationDocument | null {
    if (resolved) {
      // Signed: nothing is kept in the browser any more; the stored adjudicator read (if any) shows.
      this.keeper.clear();
      if (signed) this.origin = "empty";
      return signed ?? null;
    }
    const draft = this.keeper.load();
    if (!draft) return null;
    this.origin = draft.origin;
    return draft.annotations;
  }

  /** Loads the server draft unless this tab holds a newer copy (the server then catches up). True when loaded. */
  async loadServer(): Promise<boolean> {
    const draft = await this.server.load();
    if (this.origin !== null) {
      this.server.save(this.origin, this.store.document);
      return false;
    }
    if (!draft || draft.version === 0 || draft.origin === "" || draft.annotations === null) return false;
    this.origin = draft.origin as OwnOrigin;
    this.store.load(documentFromServer(draft.annotations), 0);
    this.keeper.save({ origin: this.origin, annotations: this.store.document });
    return true;
  }

  /** Starts (or discards, origin null) the own document. */
  reset(origin: OwnOrigin | null, doc: AnnotationDocument): void {
    this.origin = origin;
    this.store.load(doc, 0);
    if (origin === null) this.keeper.clear();
    else this.keeper.save({ origin, annotations: this.store.document });
    if (this.editable) this.server.save(origin, origin === null ? null : this.store.document);
  }

  /** After an edit: both copies follow. */
  changed(): void {
    if (this.origin === null || !this.editable) return;
    this.keeper.save({ origin: this.origin, annotations: this.store.document });
    this.server.save(this.origin, this.store.document);
  }
}
