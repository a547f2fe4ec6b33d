import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../src/api/client.js";
import { Autosaver } from "../src/document/autosave.js";
import { emptyDocument } from "../src/document/document.js";
import { DocumentStore } from "../src/document/store.js";
import type { AnnotationDocument } from "../src/document/types.js";
import { FakeTimers, deferred, settle } from "./helpers.js";

const addStrut = (x: number) => (d: AnnotationDocument) => {
  ((d.frames["0"] ??= {}).struts ??= []).push([x, x]);
};

function setup(version = 1) {
  const store = new DocumentStore(emptyDocument(), version);
  const timers = new FakeTimers();
  const calls: Array<{ version: number; annotations: AnnotationDocument }> = [];
  let respond: (version: number) => Promise<{ version: number }> = (v) => Promise.resolve({ version: v + 1 });
  const saver = new Autosaver(
    store,
    (v, annotations) => {
      calls.push({ version: v, annotations });
      return respond(v);
    },
    { delayMs: 800, retryMs: 5000, timers },
  );
  return { store, timers, calls, saver, setRespond: (fn: typeof respond) => (respond = fn) };
}

describe("Autosaver", () => {
  it("saves once, 800 ms after the last of several quick edits", async () => {
    const { store, timers, calls } = setup(3);
    store.edit(addStrut(1));
    timers.advance(500);
    store.edit(addStrut(2));
    timers.advance(799);
    assert.equal(calls.length, 0);
    timers.advance(1);
    await settle();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.version, 3);
    assert.equal(calls[0]!.annotations.frames["0"]?.struts?.length, 2);
    assert.equal(store.version, 4);
    assert.equal(store.dirty, false);
  });

  it("flush saves immediately (frame change) and cancels the pending timer", async () => {
    const { store, timers, calls, saver } = setup();
    store.edit(addStrut(1));
    await saver.flush();
    assert.equal(calls.length, 1);
    assert.equal(timers.pendingCount, 0);
    await saver.flush();
    assert.equal(calls.length, 1, "nothing to save when clean");
  });

  it("sends one request at a time and saves edits made meanwhile with the new version", async () => {
    const { store, timers, calls, saver, setRespond } = setup(1);
    const first = deferred<{ version: number }>();
    setRespond(() => first.promise);
    store.edit(addStrut(1));
    const flushing = saver.flush();
    store.edit(addStrut(2));
    void saver.flush();
    assert.equal(calls.length, 1);
    setRespond((v) => Promise.resolve({ version: v + 1 }));
    first.resolve({ version: 2 });
    await flushing;
    await settle();
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.version, 2);
    assert.equal(store.version, 3);
    assert.equal(store.dirty, false);
    assert.equal(timers.pendingCount, 0);
  });

  it("stops on 409: no retry, local edits kept until the reader chooses", async () => {
    const { store, timers, calls, saver, setRespond } = setup(1);
    setRespond(() => Promise.reject(new ApiError({ status: 409, code: "conflict", detail: "stale", currentVersion: 7 })));
    store.edit(addStrut(1));
    await saver.flush();
    assert.equal(store.saveState.kind, "conflict");
    store.edit(addStrut(2));
    timers.advance(60_000);
    await settle();
    assert.equal(calls.length, 1);
    assert.equal(store.document.frames["0"]?.struts?.length, 2);

    setRespond((v) => Promise.resolve({ version: v + 1 }));
    store.keepMine(7);
    await saver.flush();
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.version, 7);
    assert.equal(store.version, 8);
    assert.equal(store.saveState.kind, "saved");
  });

  it("retries a network failure after the retry delay; a 400 waits for the next edit", async () => {
    const { store, timers, calls, saver, setRespond } = setup(1);
    setRespond(() => Promise.reject(new ApiError({ status: 0, code: "network", detail: "offline" })));
    store.edit(addStrut(1));
    await saver.flush();
    await settle();
    assert.equal(store.saveState.kind, "error");
    setRespond(() => Promise.reject(new ApiError({ status: 400, code: "invalid", detail: "bad", field: "frames" })));
    timers.advance(5000);
    await settle();
    await settle();
    assert.equal(calls.length, 2);
    timers.advance(60_000);
    await settle();
    assert.equal(calls.length, 2, "a 400 is not retried by itself");
    setRespond((v) => Promise.resolve({ version: v + 1 }));
    store.edit(addStrut(2));
    timers.advance(800);
    await settle();
    assert.equal(calls.length, 3);
    assert.equal(store.saveState.kind, "saved");
  });

  it("does not save a read-only document", async () => {
    const store = new DocumentStore(emptyDocument(), 1, { readOnly: true });
    let saved = 0;
    const saver = new Autosaver(store, () => {
      saved++;
      return Promise.resolve({ version: 2 });
    });
    store.edit(addStrut(1));
    await saver.flush();
    saver.dispose();
    assert.equal(saved, 0);
  });
});
