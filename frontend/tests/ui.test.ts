import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BootstrapError, parseBootstrap } from "../src/ui/bootstrap.js";
import { framePositionMm, saveStateText } from "../src/ui/format.js";
import { lumenAreaReadout, lumenAreaText } from "../src/ui/readout.js";
import { framesText } from "../src/ui/submitDialog.js";
import { apiErrorFrom } from "../src/api/client.js";

const square: Array<[number, number]> = [
  [0, 0],
  [100, 0],
  [100, 100],
  [0, 100],
];

describe("lumen area readout", () => {
  it("shows mm² only with a pixel spacing, using [row, column] spacing", () => {
    const r = lumenAreaReadout(square, [0.01, 0.02]);
    assert.equal(r.kind, "calibrated");
    assert.equal(lumenAreaText(r), "2.00 mm²");
  });

  it("says 'uncalibrated' without a usable spacing, never a guess", () => {
    for (const spacing of [null, undefined, [0, 0.01], [0.01]]) {
      const r = lumenAreaReadout(square, spacing);
      assert.equal(r.kind, "uncalibrated");
      assert.equal(lumenAreaText(r), "uncalibrated");
    }
  });

  it("shows a dash when the frame has no lumen", () => {
    assert.equal(lumenAreaText(lumenAreaReadout(undefined, [0.01, 0.01])), "—");
  });
});

describe("status texts", () => {
  it("save states read as the status bar shows them", () => {
    assert.equal(saveStateText({ kind: "saved" }, 3, false), "saved v3");
    assert.equal(saveStateText({ kind: "saving" }, 3, false), "saving…");
    assert.equal(saveStateText({ kind: "unsaved" }, 3, false), "unsaved changes");
    assert.match(saveStateText({ kind: "error", message: "bad", field: "frames", retryable: false }, 3, false), /bad \(frames\)/);
    assert.equal(saveStateText({ kind: "saved" }, 3, true), "read-only · v3");
  });

  it("frame position is index × frame spacing, unknown without spacing", () => {
    assert.ok(Math.abs(framePositionMm(9, 0.1111)! - 0.9999) < 1e-12);
    assert.equal(framePositionMm(9, null), null);
  });
});

describe("parseBootstrap", () => {
  const good = {
    read_id: 1,
    pullback_id: 2,
    api_base: "/api/v1",
    csrf_token: "abc",
    read_only: false,
    frame_url_template: "/api/v1/pullbacks/2/frames/{n}",
  };

  it("accepts the page contract", () => {
    assert.deepEqual(parseBootstrap(JSON.stringify(good)), {
      ...good,
      // Optional fields get defaults: batch and L-mode URLs derived from the frame URL,
      // the SPEC §5 study defaults for the readouts.
      frames_batch_url_template: "/api/v1/pullbacks/2/frames/?start={start}&count={count}",
      frames_batch_size: 64,
      lmode_url_template: "/api/v1/pullbacks/2/lmode/?angle_deg={angle}",
      strut_threshold_um: 100,
      sampling_interval_mm: 1,
      reference_length_mm: 5,
      whole_pullback: false,
    });
    assert.equal(parseBootstrap(JSON.stringify({ ...good, whole_pullback: true })).whole_pullback, true);
    const explicit = { ...good, frames_batch_url_template: null, lmode_url_template: null, strut_threshold_um: 150 };
    const parsed = parseBootstrap(JSON.stringify(explicit));
    assert.equal(parsed.frames_batch_url_template, null);
    assert.equal(parsed.lmode_url_template, null);
    assert.equal(parsed.strut_threshold_um, 150);
    assert.equal(parseBootstrap(JSON.stringify({ ...good, frames_batch_size: 32 })).frames_batch_size, 32);
    assert.throws(() => parseBootstrap(JSON.stringify({ ...good, frames_batch_size: 0 })), /frames_batch_size/);
    assert.throws(() => parseBootstrap(JSON.stringify({ ...good, strut_threshold_um: -1 })), /strut_threshold_um/);
  });

  it("names the bad field", () => {
    assert.throws(() => parseBootstrap(JSON.stringify({ ...good, read_id: "1" })), /read_id/);
    assert.throws(() => parseBootstrap(JSON.stringify({ ...good, frame_url_template: "/frames/" })), /\{n\}/);
    assert.throws(() => parseBootstrap(JSON.stringify({ ...good, read_only: "no" })), /read_only/);
    assert.throws(() => parseBootstrap("not json"), BootstrapError);
  });
});

describe("incomplete submission (SPEC §2)", () => {
  it("the server's 400 incomplete answer carries the missing frames", () => {
    const err = apiErrorFrom(400, "Bad Request", { detail: "The read is incomplete", code: "incomplete", frames: [4, 9, 14] });
    assert.equal(err.code, "incomplete");
    assert.deepEqual(err.frames, [4, 9, 14]);
  });
  it("lists the first frames and counts the rest", () => {
    assert.equal(framesText([4, 9, 14]), "4, 9, 14");
    assert.equal(framesText([1, 2, 3, 4], 2), "1, 2 and 2 more");
  });
});
