import type { AnnotationDocument, FrameAnnotations } from "./types.js";

/** A new, empty document. */
export function emptyDocument(): AnnotationDocument {
  return { frames: {} };
}

/** Deep copy of a JSON-compatible document (snapshots must never share arrays). */
export function cloneDocument(doc: AnnotationDocument): AnnotationDocument {
  return JSON.parse(JSON.stringify(doc)) as AnnotationDocument;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Accepts what the server stores for a read (`{}` or `null` for a new read, or a full document)
 * and returns a document with a `frames` object. Fields the viewer does not know yet are kept
 * untouched, so saving never drops another tool's data.
 */
export function documentFromServer(raw: unknown): AnnotationDocument {
  if (!isPlainObject(raw)) return emptyDocument();
  const copy = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  if (!isPlainObject(copy["frames"])) copy["frames"] = {};
  return copy as unknown as AnnotationDocument;
}

/** The key of a frame in `frames`: its 0-based index as a decimal string. */
export function frameKey(frame: number): string {
  if (!Number.isInteger(frame) || frame < 0) throw new RangeError(`invalid frame index ${frame}`);
  return String(frame);
}

/** The frame's annotations, or undefined when it carries none. */
export function frameOf(doc: AnnotationDocument, frame: number): FrameAnnotations | undefined {
  return doc.frames[frameKey(frame)];
}

/** Removes empty lists and empty frames so a deleted contour leaves no trace in the JSON. */
export function pruneEmpty(doc: AnnotationDocument): void {
  for (const [key, entry] of Object.entries(doc.frames)) {
    const record = entry as Record<string, unknown>;
    for (const [field, value] of Object.entries(record)) {
      if (Array.isArray(value) && value.length === 0) delete record[field];
    }
    if (Object.keys(record).length === 0) delete doc.frames[key];
  }
  if (Array.isArray(doc.calcium_segments) && doc.calcium_segments.length === 0) {
    delete doc.calcium_segments;
  }
}
