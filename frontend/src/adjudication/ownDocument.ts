import { cloneDocument, documentFromServer, emptyDocument, pruneEmpty } from "../document/document.js";
import type { AnnotationDocument } from "../document/types.js";

/** Where the adjudicator's own annotation started from. */
export type OwnOrigin = "reader1" | "reader2" | "empty";

/** The form's source token for "my own annotation" (SPEC §6). */
export const OWN_SOURCE = "adjudicator";

/**
 * A new own document: a deep copy of Reader 1's or Reader 2's document (the readers' originals
 * are never edited: the copy shares no array with them), or an empty one. A missing reader
 * document gives an empty one.
 */
export function startOwnDocument(origin: OwnOrigin, readers: Partial<Record<"reader1" | "reader2", AnnotationDocument>>): AnnotationDocument {
  if (origin === "empty") return emptyDocument();
  const source = readers[origin];
  if (!source) return emptyDocument();
  const copy = cloneDocument(source);
  pruneEmpty(copy);
  return copy;
}

/** Whether a document carries no annotation at all (no frame entry, no stent edges, no segment). */
export function isEmptyDocument(doc: AnnotationDocument | null | undefined): boolean {
  if (!doc) return true;
  const copy = cloneDocument(doc);
  pruneEmpty(copy);
  return Object.keys(copy.frames).length === 0 && !copy.stent && !(copy.calcium_segments && copy.calcium_segments.length > 0);
}

/** Frames that carry an annotation, ascending. */
export function annotatedFrames(doc: AnnotationDocument | null | undefined): number[] {
  if (!doc) return [];
  return Object.keys(doc.frames)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0)
    .sort((a, b) => a - b);
}

/** The groups whose chosen source is the adjudicator's own annotation while none is drawn. */
export function groupsMissingOwn(sources: Readonly<Record<string, string>>, own: AnnotationDocument | null): string[] {
  if (!isEmptyDocument(own)) return [];
  return Object.entries(sources)
    .filter(([, source]) => source === OWN_SOURCE)
    .map(([group]) => group)
    .sort();
}

/**
 * What the form's hidden `annotations` field carries: the own document as JSON when some
 * group's source is the adjudicator, else nothing (the server refuses a document nobody chose).
 */
export function ownAnnotationsFieldValue(sources: Readonly<Record<string, string>>, own: AnnotationDocument | null): string {
  const wanted = Object.values(sources).includes(OWN_SOURCE);
  if (!wanted || isEmptyDocument(own)) return "";
  const copy = cloneDocument(own!);
  pruneEmpty(copy);
  return JSON.stringify(copy);
}

/** The subset of Web Storage the draft keeper needs (sessionStorage in the page, a Map in tests). */
export type DraftStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface OwnDraft {
  origin: OwnOrigin;
  annotations: AnnotationDocument;
}

/**
 * Keeps the adjudicator's own document in sessionStorage, keyed by adjudication id, so a
 * reload (or a refused form post) does not lose it. There is no server draft for it: the document
 * reaches the server only with the signed decisions. Storage failures (private mode, quota) are
 * swallowed and reported through the return value: the page then simply keeps it in memory.
 */
export class OwnDraftKeeper {
  readonly key: string;

  constructor(
    adjudicationId: number,
    private readonly storage: DraftStorage | null,
  ) {
    this.key = `corelab.adjudication.${adjudicationId}.own`;
  }

  load(): OwnDraft | null {
    let text: string | null;
    try {
      text = this.storage?.getItem(this.key) ?? null;
    } catch {
      return null;
    }
    if (!text) return null;
    try {
      const raw = JSON.parse(text) as { origin?: unknown; annotations?: unknown };
      const origin: OwnOrigin = raw.origin === "reader1" || raw.origin === "reader2" ? raw.origin : "empty";
      if (raw.annotations === null || typeof raw.annotations !== "object") return null;
      return { origin, annotations: documentFromServer(raw.annotations) };
    } catch {
      return null;
    }
  }

  /** @returns false when the storage refused it. */
  save(draft: OwnDraft): boolean {
    try {
      this.storage?.setItem(this.key, JSON.stringify({ origin: draft.origin, annotations: draft.annotations }));
      return this.storage !== null;
    } catch {
      return false;
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Nothing to do: an unreadable storage holds nothing we could clear.
    }
  }
}
