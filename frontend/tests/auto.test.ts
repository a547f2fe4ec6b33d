import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AnnotationAdapter } from "../src/adapter/annotations.js";
import type { CoordinateAdapter } from "../src/adapter/coordinates.js";
import { acceptAll, acceptIntoFrame, type AutoProposalResponse } from "../src/auto/proposal.js";
import { closedSplinePx } from "../src/auto/spline.js";
import { emptyDocument } from "../src/document/document.js";
import { DocumentStore } from "../src/document/store.js";
import type { AnnotationDocument, Point } from "../src/document/types.js";
import { polygonAreaPx2 } from "../src/geometry/polygonAreaPx2.js";
import type { PointPx } from "../src/geometry/types.js";
import { LumenContourTool } from "../src/tools/LumenContourTool.js";
import type { ToolContext } from "../src/tools/tool.js";

const CTRL: PointPx[] = [
  [100, 50],
  [150, 80],
  [160, 140],
  [110, 170],
  [60, 130],
  [55, 80],
];

function ring(cx: number, cy: number, r: number, n: number): Point[] {
  return Array.from({ length: n }, (_, i) => [cx + r * Math.cos((2 * Math.PI * i) / n), cy + r * Math.sin((2 * Math.PI * i) / n)] as Point);
}

describe("closedSplinePx", () => {
  it("is the server's curve: SciPy's periodic cubic spline by chord length (known answer)", () => {
    const dense = closedSplinePx(CTRL, [0.02, 0.02]);
    assert.equal(dense.length, 90);
    // values from adjudication.imaging.spline.sample_closed_spline on the same points
    const expected: Array<[number, [number, number]]> = [
      [0, [100, 50]],
      [1, [103.9057, 50.0185]],
      [2, [107.7653, 50.3941]],
      [7, [126.0832, 57.0304]],
      [13, [144.8238, 73.2082]],
      [89, [96.0845, 50.3464]],
    ];
    for (const [i, [x, y]] of expected) {
      assert.ok(Math.abs(dense[i]![0] - x) < 1e-3 && Math.abs(dense[i]![1] - y) < 1e-3, `vertex ${i}: ${dense[i]}`);
    }
  });

  it("keeps vertices within 0.1 mm and measures a circle without the polygon's loss", () => {
    const ctrl = ring(200, 200, 100, 12) as PointPx[];
    const dense = closedSplinePx(ctrl, [0.01, 0.01]);
    for (let i = 0; i < dense.length; i++) {
      const a = dense[i]!;
      const b = dense[(i + 1) % dense.length]!;
      assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) * 0.01 <= 0.1);
    }
    const circle = Math.PI * 100 * 100;
    assert.ok(Math.abs(polygonAreaPx2(dense) - circle) / circle < 0.002); // a 12-gon reads 4.5 % low
    assert.ok((circle - polygonAreaPx2(ctrl)) / circle > 0.04);
  });
});

function proposal(overrides: Partial<AutoProposalResponse> = {}): AutoProposalResponse {
  const frames: AnnotationDocument["frames"] = {};
  for (let f = 0; f < 60; f++) {
    frames[String(f)] = { lumen: ring(100, 100, 40, 60), lumen_ctrl: ring(100, 100, 40, 12) };
    if (f >= 20 && f <= 40) {
      frames[String(f)]!.struts = ring(100, 100, 39, 6);
      frames[String(f)]!.stent = ring(100, 100, 39, 60);
      frames[String(f)]!.stent_ctrl = ring(100, 100, 39, 6);
    }
  }
  const confidence: Record<string, number> = {};
  for (let f = 0; f < 60; f++) confidence[String(f)] = f === 30 ? 0.2 : 0.95;
  return {
    status: "done",
    progress_pct: 100,
    algorithm: "a",
    algorithm_version: "1",
    annotations: { stent: { distal_frame: 20, proximal_frame: 40 }, frames },
    confidence,
    low_confidence_threshold: 0.5,
    error: "",
    ...overrides,
  };
}

describe("accepting the proposal", () => {
  const everyTenth = (doc: AnnotationDocument) => (doc.stent ? [10, 20, 30, 40, 50] : [0, 10, 20, 30, 40, 50]);

  it("takes stent edges, lumens and (inside the stent) struts and stent, marked auto", () => {
    const draft = emptyDocument();
    const result = acceptAll(draft, proposal(), everyTenth);
    assert.equal(result.stentEdgesTaken, true);
    assert.deepEqual(draft.stent, { distal_frame: 20, proximal_frame: 40 });
    assert.deepEqual(result.accepted, [10, 20, 40, 50]);
    assert.deepEqual(result.needsManual, [30]); // low confidence: left for manual drawing
    assert.deepEqual(draft.frames["10"]?.source, { lumen: "auto" });
    assert.deepEqual(draft.frames["20"]?.source, { lumen: "auto", struts: "auto", stent: "auto" });
    assert.equal(draft.frames["20"]?.struts?.length, 6);
    assert.equal(draft.frames["10"]?.struts, undefined);
    assert.equal(draft.frames["30"], undefined);
  });

  it("keeps what the reader drew by hand", () => {
    const draft: AnnotationDocument = { frames: { "10": { lumen: ring(100, 100, 30, 8), source: { lumen: "manual" } } } };
    const result = acceptAll(draft, proposal(), everyTenth);
    assert.deepEqual(result.keptManual, [10]);
    assert.equal(draft.frames["10"]?.lumen?.length, 8);
  });

  it("one frame: nothing to take without a proposal", () => {
    assert.equal(acceptIntoFrame({}, undefined, { lumen: true, struts: true }), false);
  });
});

function smoothSetup() {
  const store = new DocumentStore(emptyDocument(), 1);
  const adapter = new AnnotationAdapter(store);
  const ctrl = ring(200, 200, 80, 8);
  const dense = closedSplinePx(ctrl, [0.01, 0.01]);
  adapter.applyFrame(5, (entry) => acceptIntoFrame(entry, { lumen: dense.map((p) => [p[0], p[1]]), lumen_ctrl: ctrl }, { lumen: true, struts: false }));
  const coords: CoordinateAdapter = {
    screenToImage: (p) => [p[0], p[1]],
    imageToScreen: (p) => [p[0], p[1]],
    containsImagePoint: (p) => p[0] >= 0 && p[1] >= 0 && p[0] < 512 && p[1] < 512,
  };
  const ctx: ToolContext = {
    coords,
    annotations: adapter,
    currentFrame: () => 5,
    requestRender: () => undefined,
    notify: () => undefined,
    pixelSpacingMm: [0.01, 0.01],
  };
  const tool = new LumenContourTool(ctx);
  tool.setMode("active");
  const at = (x: number, y: number, shift = false) => ({ screen: [x, y] as const, image: [x, y] as const, clickCount: 1, shift });
  return { store, adapter, tool, ctrl, at };
}

describe("editing a smooth contour by its control points", () => {
  it("dragging a control point reshapes the spline and marks the lumen auto_edited", () => {
    const { store, tool, at } = smoothSetup();
    assert.equal(store.document.frames["5"]?.source?.lumen, "auto");
    assert.ok(tool.onPointerDown(at(280, 200))); // control point 0
    tool.onPointerMove({ screen: [300, 200], image: [300, 200], dragging: true });
    tool.onPointerUp();
    const frame = store.document.frames["5"];
    assert.deepEqual(frame.lumen_ctrl?.[0], [300, 200]);
    assert.ok(frame.lumen!.some((p) => p[0] === 300 && p[1] === 200)); // the curve passes through it
    assert.ok(frame.lumen!.length > 30);
    assert.equal(frame.source?.lumen, "auto_edited");
  });

  it("pressing on the curve inserts a control point; Shift+click removes one", () => {
    const { store, tool, at } = smoothSetup();
    const dense = store.document.frames["5"]!.lumen!;
    const onCurve = dense[Math.floor(dense.length / 16)]!; // between control points 0 and 1
    assert.ok(tool.onPointerDown(at(onCurve[0], onCurve[1])));
    tool.onPointerUp();
    assert.equal(store.document.frames["5"]?.lumen_ctrl?.length, 9);
    const second = store.document.frames["5"].lumen_ctrl[1]!;
    assert.ok(Math.hypot(second[0] - onCurve[0], second[1] - onCurve[1]) < 0.02);
    assert.ok(tool.onPointerDown(at(second[0], second[1], true)));
    assert.equal(store.document.frames["5"]?.lumen_ctrl?.length, 8);
  });

  it("a hand-drawn contour is manual and a plain polygon (no control points)", () => {
    const store = new DocumentStore(emptyDocument(), 1);
    const adapter = new AnnotationAdapter(store);
    adapter.setContour("lumen", 3, [
      [10, 10],
      [50, 10],
      [30, 40],
    ]);
    assert.deepEqual(store.document.frames["3"]?.source, { lumen: "manual" });
    assert.equal(store.document.frames["3"]?.lumen_ctrl, undefined);
    adapter.setContour("lumen", 3, null);
    assert.deepEqual(store.document.frames, {});
  });
});
