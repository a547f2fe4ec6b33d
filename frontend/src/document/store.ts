import { ApiError } from "../api/client.js";
import { cloneDocument, pruneEmpty } from "./document.js";
import type { AnnotationDocument } from "./types.js";

/** What the status bar shows about persistence. */
export type SaveState =
  | { kind: "saved" }
  | { kind: "unsaved" }
  | { kind: "saving" }
  /** The server holds a newer version (another tab or person saved); local edits are kept. */
  | { kind: "conflict"; serverVersion: number | null }
  | { kind: "error"; message: string; field: string | null; retryable: boolean };

export type StoreEvent = { type: "document"; reason: "edit" | "undo" | "redo" | "load" } | { type: "save-state" };

export type StoreListener = (event: StoreEvent) => void;

/** What one save sends; handed back to `saveSucceeded` / `saveFailed`. */
export interface SavePayload {
  readonly snapshotId: number;
  readonly version: number;
  readonly annotations: AnnotationDocument;
}

interface Snapshot {
  readonly id: number;
  readonly doc: AnnotationDocument;
  readonly json: string;
}

export interface StoreOptions {
  readOnly?: boolean;
  /** Oldest undo steps are dropped past this many. */
  historyLimit?: number;
}

/**
 * The single source of truth in the browser: the read's annotation document (SPEC §4),
 * the server version it derives from, undo/redo history and the dirty flag.
 *
 * Snapshots are immutable: every edit works on a deep copy, so undo/redo is a pointer swap
 * and "dirty" is simply "the current snapshot is not the one last saved" (undoing back to
 * the saved state makes the document clean again).
 */
export class DocumentStore {
  private current: Snapshot;
  private undoStack: Snapshot[] = [];
  private redoStack: Snapshot[] = [];
  private nextId = 1;
  private savedId: number | null;
  private _version: number;
  private _saveState: SaveState = { kind: "saved" };
  private _readOnly: boolean;
  private readonly historyLimit: number;
  private readonly listeners = new Set<StoreListener>();

  constructor(doc: AnnotationDocument, version: number, options: StoreOptions = {}) {
    this.current = this.snapshot(doc);
    this.savedId = this.current.id;
    this._version = version;
    this._readOnly = options.readOnly ?? false;
    this.historyLimit = options.historyLimit ?? 200;
  }

  /** The current document. Treat as read-only: change it through `edit`. */
  get document(): AnnotationDocument {
    return this.current.doc;
  }

  /** The server version the next save will send. */
  get version(): number {
    return this._version;
  }

  get dirty(): boolean {
    return this.current.id !== this.savedId;
  }

  get readOnly(): boolean {
    return this._readOnly;
  }

  get saveState(): SaveState {
    return this._saveState;
  }

  get inConflict(): boolean {
    return this._saveState.kind === "conflict";
  }

  get canUndo(): boolean {
    return !this._readOnly && this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return !this._readOnly && this.redoStack.length > 0;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setReadOnly(readOnly: boolean): void {
    this._readOnly = readOnly;
    this.emit({ type: "save-state" });
  }

  /**
   * Applies `mutate` to a copy of the document and records it as one undo step.
   * @returns false when read-only or when the edit changed nothing.
   */
  edit(mutate: (draft: AnnotationDocument) => void): boolean {
    if (this._readOnly) return false;
    const draft = cloneDocument(this.current.doc);
    mutate(draft);
    pruneEmpty(draft);
    const next = this.snapshot(draft);
    if (next.json === this.current.json) return false;
    this.undoStack.push(this.current);
    if (this.undoStack.length > this.historyLimit) this.undoStack.shift();
    this.redoStack = [];
    this.current = next;
    this.afterChange("edit");
    return true;
  }

  undo(): boolean {
    if (!this.canUndo) return false;
    this.redoStack.push(this.current);
    this.current = this.undoStack.pop()!;
    this.afterChange("undo");
    return true;
  }

  redo(): boolean {
    if (!this.canRedo) return false;
    this.undoStack.push(this.current);
    this.current = this.redoStack.pop()!;
    this.afterChange("redo");
    return true;
  }

  /** Replaces everything with the server's copy (first load, or "load the saved version"). */
  load(doc: AnnotationDocument, version: number): void {
    this.current = this.snapshot(doc);
    this.savedId = this.current.id;
    this._version = version;
    this.undoStack = [];
    this.redoStack = [];
    this._saveState = { kind: "saved" };
    this.emit({ type: "document", reason: "load" });
    this.emit({ type: "save-state" });
  }

  /**
   * Starts a save of the current snapshot.
   * @returns null when there is nothing to save, or saving must wait (read-only, unresolved conflict).
   */
  beginSave(): SavePayload | null {
    if (this._readOnly || !this.dirty || this.inConflict) return null;
    this.setSaveState({ kind: "saving" });
    return {
      snapshotId: this.current.id,
      version: this._version,
      annotations: cloneDocument(this.current.doc),
    };
  }

  saveSucceeded(payload: SavePayload, newVersion: number): void {
    this._version = newVersion;
    this.savedId = payload.snapshotId;
    // Edits made while the request was in flight keep the document dirty.
    this.setSaveState(this.dirty ? { kind: "unsaved" } : { kind: "saved" });
  }

  /** Records a failed save. Local edits are never discarded here. */
  saveFailed(_payload: SavePayload, error: unknown): void {
    if (error instanceof ApiError && error.isConflict) {
      this.setSaveState({ kind: "conflict", serverVersion: error.currentVersion });
      return;
    }
    if (error instanceof ApiError) {
      const retryable = error.status === 0 || error.status >= 500;
      this.setSaveState({ kind: "error", message: error.detail, field: error.field, retryable });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.setSaveState({ kind: "error", message, field: null, retryable: true });
  }

  /**
   * Conflict resolution "keep mine": adopt the server's current version so the next save
   * overwrites it with the local document. The caller then saves.
   */
  keepMine(serverVersion: number): void {
    this._version = serverVersion;
    this.savedId = null;
    this.setSaveState({ kind: "unsaved" });
  }

  private snapshot(doc: AnnotationDocument): Snapshot {
    const copy = cloneDocument(doc);
    return { id: this.nextId++, doc: copy, json: JSON.stringify(copy) };
  }

  private afterChange(reason: "edit" | "undo" | "redo"): void {
    this.emit({ type: "document", reason });
    if (this._saveState.kind === "saved" || this._saveState.kind === "unsaved") {
      this.setSaveState(this.dirty ? { kind: "unsaved" } : { kind: "saved" });
    } else if (this._saveState.kind === "error" && !this.dirty) {
      this.setSaveState({ kind: "saved" });
    }
  }

  private setSaveState(state: SaveState): void {
    this._saveState = state;
    this.emit({ type: "save-state" });
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
