import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../src/api/client.js";
import { documentFromServer, emptyDocument } from "../src/document/document.js";
import { DocumentStore, type StoreEvent } from "../src/document/store.js";
import type { AnnotationDocument } from "../src/document/types.js";

const addStrut = (frame: number, x: number, y: number) => (d: AnnotationDocument) => {
  ((d.frames[String(frame)] ??= {}).struts ??= []).push([x, y]);
};

const conflict = (version: number | null) => new ApiError({ status: 409, code: "conflict", detail: "stale version", currentVersion: version });

describe("DocumentStore: dirty flag and undo/redo", () => {
  it("starts clean at the server's version", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    assert.equal(store.dirty, false);
    assert.equal(store.version, 3);
    assert.equal(store.saveState.kind, "saved");
    assert.equal(store.canUndo, false);
  });

  it("an edit makes it dirty; undoing back to the saved state makes it clean again", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    assert.equal(store.edit(addStrut(5, 1, 2)), true);
    assert.equal(store.dirty, true);
    assert.equal(store.saveState.kind, "unsaved");
    assert.deepEqual(store.document.frames["5"]?.struts, [[1, 2]]);
    assert.equal(store.undo(), true);
    assert.equal(store.dirty, false);
    assert.equal(store.saveState.kind, "saved");
    assert.deepEqual(store.document, { frames: {} });
    assert.equal(store.redo(), true);
    assert.equal(store.dirty, true);
    assert.deepEqual(store.document.frames["5"]?.struts, [[1, 2]]);
  });

  it("a new edit clears the redo stack", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    store.edit(addStrut(0, 1, 1));
    store.edit(addStrut(0, 2, 2));
    store.undo();
    assert.equal(store.canRedo, true);
    store.edit(addStrut(0, 3, 3));
    assert.equal(store.canRedo, false);
    assert.deepEqual(store.document.frames["0"]?.struts, [
      [1, 1],
      [3, 3],
    ]);
  });

  it("an edit that changes nothing is not an undo step and not dirty", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    assert.equal(
      store.edit(() => undefined),
      false,
    );
    assert.equal(store.canUndo, false);
    assert.equal(store.dirty, false);
  });

  it("snapshots are isolated: mutating a past document does not leak into history", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    store.edit(addStrut(0, 1, 1));
    const before = store.document;
    store.edit(addStrut(0, 2, 2));
    assert.deepEqual(before.frames["0"]?.struts, [[1, 1]]);
  });

  it("drops the oldest steps past the history limit", () => {
    const store = new DocumentStore(emptyDocument(), 1, { historyLimit: 3 });
    for (let i = 0; i < 5; i++) store.edit(addStrut(0, i, i));
    let undone = 0;
    while (store.undo()) undone++;
    assert.equal(undone, 3);
    assert.deepEqual(store.document.frames["0"]?.struts, [
      [0, 0],
      [1, 1],
    ]);
  });

  it("removes empty lists and frames so a deleted annotation leaves no trace", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    store.edit(addStrut(7, 1, 1));
    store.edit((d) => d.frames["7"]!.struts!.splice(0, 1));
    assert.deepEqual(store.document, { frames: {} });
  });

  it("refuses edits, undo and saves when read-only", () => {
    const store = new DocumentStore(emptyDocument(), 1, { readOnly: true });
    assert.equal(store.edit(addStrut(0, 1, 1)), false);
    assert.equal(store.dirty, false);
    assert.equal(store.beginSave(), null);
  });

  it("emits document and save-state events", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    const events: StoreEvent[] = [];
    const unsubscribe = store.subscribe((e) => events.push(e));
    store.edit(addStrut(0, 1, 1));
    store.undo();
    unsubscribe();
    store.redo();
    assert.deepEqual(
      events.filter((e) => e.type === "document").map((e) => (e.type === "document" ? e.reason : "")),
      ["edit", "undo"],
    );
    assert.ok(events.some((e) => e.type === "save-state"));
  });
});

describe("DocumentStore: versions and saving", () => {
  it("a successful save adopts the new version and cleans the document", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    const payload = store.beginSave()!;
    assert.equal(payload.version, 3);
    assert.deepEqual(payload.annotations.frames["0"]?.struts, [[1, 1]]);
    assert.equal(store.saveState.kind, "saving");
    store.saveSucceeded(payload, 4);
    assert.equal(store.version, 4);
    assert.equal(store.dirty, false);
    assert.equal(store.saveState.kind, "saved");
  });

  it("edits made while a save is in flight stay dirty after it succeeds", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    const payload = store.beginSave()!;
    store.edit(addStrut(0, 2, 2));
    store.saveSucceeded(payload, 4);
    assert.equal(store.dirty, true);
    assert.equal(store.saveState.kind, "unsaved");
    assert.equal(store.beginSave()!.version, 4);
  });

  it("the payload is a copy: later edits do not change what was sent", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    store.edit(addStrut(0, 1, 1));
    const payload = store.beginSave()!;
    store.edit(addStrut(0, 2, 2));
    assert.deepEqual(payload.annotations.frames["0"]?.struts, [[1, 1]]);
  });

  it("nothing to save when clean", () => {
    assert.equal(new DocumentStore(emptyDocument(), 1).beginSave(), null);
  });

  it("a 409 keeps local edits, stays dirty, records the server version and blocks further saves", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    const payload = store.beginSave()!;
    store.saveFailed(payload, conflict(5));
    assert.deepEqual(store.saveState, { kind: "conflict", serverVersion: 5 });
    assert.equal(store.inConflict, true);
    assert.equal(store.dirty, true);
    assert.equal(store.version, 3);
    assert.deepEqual(store.document.frames["0"]?.struts, [[1, 1]]);
    assert.equal(store.beginSave(), null, "no silent retry over the other save");
    store.edit(addStrut(0, 2, 2));
    assert.equal(store.saveState.kind, "conflict", "editing does not hide the conflict");
  });

  it("'keep mine' adopts the server version so the next save overwrites it with the local document", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    store.saveFailed(store.beginSave()!, conflict(5));
    store.keepMine(5);
    assert.equal(store.inConflict, false);
    assert.equal(store.dirty, true);
    const payload = store.beginSave()!;
    assert.equal(payload.version, 5);
    assert.deepEqual(payload.annotations.frames["0"]?.struts, [[1, 1]]);
    store.saveSucceeded(payload, 6);
    assert.equal(store.version, 6);
    assert.equal(store.dirty, false);
  });

  it("'keep mine' makes even an undone-to-saved document dirty, so it is written", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    store.saveFailed(store.beginSave()!, conflict(5));
    store.undo();
    store.keepMine(5);
    assert.equal(store.dirty, true);
  });

  it("'load the saved version' replaces the document, version and history", () => {
    const store = new DocumentStore(emptyDocument(), 3);
    store.edit(addStrut(0, 1, 1));
    store.saveFailed(store.beginSave()!, conflict(5));
    store.load({ frames: { "9": { struts: [[4, 4]] } } }, 5);
    assert.equal(store.version, 5);
    assert.equal(store.dirty, false);
    assert.equal(store.canUndo, false);
    assert.equal(store.saveState.kind, "saved");
    assert.deepEqual(store.document.frames["9"]?.struts, [[4, 4]]);
  });

  it("a 400 is an error naming the field, not retryable; a network error is retryable", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    store.edit(addStrut(0, 1, 1));
    store.saveFailed(store.beginSave()!, new ApiError({ status: 400, code: "invalid", detail: "needs 3 points", field: "frames.0.lumen" }));
    assert.deepEqual(store.saveState, { kind: "error", message: "needs 3 points", field: "frames.0.lumen", retryable: false });
    assert.equal(store.dirty, true);
    store.saveFailed(store.beginSave()!, new ApiError({ status: 0, code: "network", detail: "offline" }));
    assert.equal(store.saveState.kind === "error" && store.saveState.retryable, true);
  });
});

describe("documentFromServer", () => {
  it("turns a new read's empty annotations into an empty document", () => {
    assert.deepEqual(documentFromServer({}), { frames: {} });
    assert.deepEqual(documentFromServer(null), { frames: {} });
  });

  it("keeps fields this viewer does not edit yet", () => {
    const raw = {
      stent: { distal_frame: 40, proximal_frame: 310 },
      calcium_segments: [{ start_frame: 120, end_frame: 205 }],
      frames: {
        "128": {
          calcium: [
            {
              arc: [
                [1, 2],
                [3, 4],
              ],
              thickness: [
                [5, 6],
                [7, 8],
              ],
            },
          ],
          stent: [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
        },
      },
    };
    assert.deepEqual(documentFromServer(raw), raw);
    assert.notEqual(documentFromServer(raw).frames, raw.frames);
  });
});
