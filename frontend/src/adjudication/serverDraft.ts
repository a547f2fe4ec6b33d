import { ApiError, type AdjudicationDraft, type ApiClient } from "../api/client.js";
import type { AnnotationDocument } from "../document/types.js";
import type { OwnOrigin } from "./ownDocument.js";

/**
 * The adjudicator's own annotation saved on the server as a versioned draft (issue 14): each
 * change is sent after a short pause, one request at a time, with the version last saved; a
 * stale version (another tab) is reported, never overwritten silently.
 */
export class ServerDraft {
  version = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private next: { origin: OwnOrigin | null; doc: AnnotationDocument | null } | null = null;
  private saving: Promise<void> = Promise.resolve();
  private conflict = false;

  constructor(
    private readonly api: ApiClient,
    private readonly adjudicationId: number,
    private readonly report: (text: string, tone: "ok" | "busy" | "error") => void,
    private readonly delayMs = 600,
  ) {}

  async load(): Promise<AdjudicationDraft | null> {
    try {
      const draft = await this.api.getAdjudicationDraft(this.adjudicationId);
      this.version = draft.version;
      if (draft.version > 0) this.report(`draft saved v${draft.version}`, "ok");
      return draft;
    } catch (err) {
      this.report(`draft not loaded: ${err instanceof Error ? err.message : String(err)}`, "error");
      return null;
    }
  }

  /** Schedules saving `doc` (null with origin null: discard). */
  save(origin: OwnOrigin | null, doc: AnnotationDocument | null): void {
    if (this.conflict) return;
    this.next = { origin, doc };
    this.report("draft: unsaved changes", "busy");
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.saving = this.saving.then(() => this.flush());
    }, this.delayMs);
  }

  private async flush(): Promise<void> {
    const next = this.next;
    this.next = null;
    if (!next) return;
    try {
      const saved = await this.api.saveAdjudicationDraft(this.adjudicationId, {
        version: this.version,
        origin: next.origin ?? "",
        annotations: next.origin === null ? null : next.doc,
      });
      this.version = saved.version;
      this.report(`draft saved v${saved.version}`, "ok");
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        this.conflict = true;
        this.report("draft not saved: it was changed in another tab; reload this page", "error");
      } else {
        this.next = this.next ?? next; // kept for the next change
        this.report(`draft not saved: ${err instanceof Error ? err.message : String(err)}`, "error");
      }
    }
  }
}
