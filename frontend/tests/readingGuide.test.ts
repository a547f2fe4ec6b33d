import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnnotationDocument } from "../src/document/types.js";
import { completenessSummary, frameCompleteness, nextIncomplete } from "../src/ui/completeness.js";
import { LabelPlacer, labelBoxesOverlap } from "../src/ui/labelPlacer.js";
import { frameLabel } from "../src/ui/shell.js";
import { firstStep, nextStep, stepCompleted, stepCounts } from "../src/ui/toolSequence.js";

const tri: Array<[number, number]> = [
  [0, 0],
  [10, 0],
  [0, 10],
];

const doc: AnnotationDocument = {
  stent: { distal_frame: 10, proximal_frame: 30 },
  frames: {
    "0": { lumen: tri },
    "10": { lumen: tri },
    "20": {
      lumen: tri,
      struts: [[1, 1]],
      calcium: [
        {
          arc: [
            [0, 1],
            [1, 0],
          ],
        },
      ],
    },
    "30": { struts: [[1, 1]] },
  },
};

describe("frame completeness (SPEC §2)", () => {
  const rows = frameCompleteness(doc, [0, 10, 20, 30, 40]);

  it("needs a lumen everywhere and struts or a stent contour inside the stent", () => {
    assert.deepEqual(
      rows.map((r) => [r.frame, r.stented, r.complete]),
      [
        [0, false, true],
        [10, true, false],
        [20, true, true],
        [30, true, false],
        [40, false, false],
      ],
    );
  });

  it("shows calcium where marked, never requires it", () => {
    assert.deepEqual(
      rows.filter((r) => r.calcium).map((r) => r.frame),
      [20],
    );
    assert.equal(completenessSummary(rows, false), "2 of 5 analysis frames complete · calcium marked on 1");
    assert.match(completenessSummary(rows, true), /stent edges not set$/);
  });

  it("finds the next incomplete frame after the current one, wrapping", () => {
    assert.equal(nextIncomplete(rows, 0), 10);
    assert.equal(nextIncomplete(rows, 10), 30);
    assert.equal(nextIncomplete(rows, 40), 10);
    assert.equal(nextIncomplete(frameCompleteness(doc, [0, 20]), 0), null);
  });
});

describe("per-frame tool sequence", () => {
  it("goes lumen → struts (inside the stent) → calcium arc → thickness → next frame", () => {
    assert.equal(nextStep("lumen", true), "struts");
    assert.equal(nextStep("lumen", false), "calcium-arc");
    assert.equal(nextStep("struts", true), "calcium-arc");
    assert.equal(nextStep("calcium-arc", true), "calcium-thickness");
    assert.equal(nextStep("calcium-thickness", true), "next-frame");
    assert.equal(nextStep("stent-edges", true), null);
    assert.equal(nextStep(null, true), null);
  });

  it("starts a frame with its first missing element", () => {
    const rows = frameCompleteness(doc, [10, 30]);
    assert.equal(firstStep(rows[0]), "struts");
    assert.equal(firstStep(rows[1]), "lumen");
  });

  it("sees a step completed only when its element appears", () => {
    const empty = stepCounts(undefined);
    const drawn = stepCounts(doc.frames["20"]);
    assert.equal(stepCompleted("lumen", empty, drawn), true);
    assert.equal(stepCompleted("lumen", drawn, drawn), false);
    assert.equal(stepCompleted("calcium-arc", empty, drawn), true);
    assert.equal(stepCompleted("calcium-thickness", empty, drawn), false);
    assert.equal(stepCompleted("struts", empty, drawn), false);
  });
});

describe("strut labels", () => {
  it("never overlap, however crowded the struts", () => {
    const placer = new LabelPlacer();
    for (let i = 0; i < 30; i++) placer.place(100 + (i % 3), 100 + (i % 2), 24, 13);
    const boxes = placer.taken;
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) assert.equal(labelBoxesOverlap(boxes[i]!, boxes[j]!), false, `${i} overlaps ${j}`);
  });
});

describe("frame counter", () => {
  it("counts frames from 1 and gives the position in mm", () => {
    assert.equal(frameLabel(0, 90, 0.2).text, "frame 1 / 90 · 0.00 mm");
    assert.equal(frameLabel(89, 90, 0.2).text, "frame 90 / 90 · 17.80 mm");
    assert.equal(frameLabel(4, 90, null).text, "frame 5 / 90 · —");
  });
});
