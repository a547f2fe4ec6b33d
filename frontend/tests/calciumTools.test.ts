import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AnnotationAdapter } from "../src/adapter/annotations.js";
import type { CoordinateAdapter } from "../src/adapter/coordinates.js";
import { emptyDocument } from "../src/document/document.js";
import { DocumentStore } from "../src/document/store.js";
import { parseFrameBatch } from "../src/viewer/frameLoader.js";
import { CalciumArcTool } from "../src/tools/CalciumArcTool.js";
import { CalciumSegmentTool } from "../src/tools/CalciumSegmentTool.js";
import { CalciumThicknessTool } from "../src/tools/CalciumThicknessTool.js";
import { LumenContourTool } from "../src/tools/LumenContourTool.js";
import { StentEdgeTool } from "../src/tools/StentEdgeTool.js";
import type { ToolContext } from "../src/tools/tool.js";

/** Identity view (screen = image) on a 500 × 500 frame, spacing 0.01 mm, frame 15. */
function setup() {
  const coords: CoordinateAdapter = {
    screenToImage: (p) => [p[0], p[1]],
    imageToScreen: (p) => [p[0], p[1]],
    containsImagePoint: (p) => p[0] >= 0 && p[1] >= 0 && p[0] < 500 && p[1] < 500,
  };
  const store = new DocumentStore(emptyDocument(), 1);
  const messages: string[] = [];
  let frame = 15;
  const ctx: ToolContext = {
    coords,
    annotations: new AnnotationAdapter(store),
    currentFrame: () => frame,
    requestRender: () => undefined,
    notify: (m) => messages.push(m),
    pixelSpacingMm: [0.01, 0.01],
    frameCount: 300,
  };
  const press = (x: number, y: number, extra: { clickCount?: number; shift?: boolean } = {}) => ({
    screen: [x, y] as const,
    image: [x, y] as const,
    clickCount: extra.clickCount ?? 1,
    shift: extra.shift ?? false,
  });
  return { store, ctx, messages, press, setFrame: (f: number) => (frame = f) };
}

const SQUARE: Array<[number, number]> = [
  [150, 150],
  [350, 150],
  [350, 350],
  [150, 350],
];

describe("CalciumArcTool", () => {
  it("needs a lumen, then stores the arc without a centre (the lumen centroid is the default)", () => {
    const { store, ctx, messages, press } = setup();
    const tool = new CalciumArcTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(350, 250));
    assert.match(messages[0]!, /lumen/);
    ctx.annotations.setLumen(15, SQUARE);
    tool.onPointerDown(press(350, 250));
    tool.onPointerMove({ screen: [250, 350], image: [250, 350] });
    assert.equal(tool.draftDeg, 90, "live degrees while the second edge follows the pointer");
    tool.onPointerDown(press(250, 350));
    assert.deepEqual(store.document.frames["15"]?.calcium, [
      {
        arc: [
          [350, 250],
          [250, 350],
        ],
      },
    ]);
  });

  it("removing the lumen pins the old centroid as the arc's centre, keeping the document valid", () => {
    const { store, ctx } = setup();
    ctx.annotations.setLumen(15, SQUARE);
    ctx.annotations.addCalciumArc(15, [350, 250], [250, 350]);
    ctx.annotations.setLumen(15, null);
    assert.deepEqual(store.document.frames["15"]?.calcium?.[0]?.center, [250, 250]);
    assert.equal(store.document.frames["15"]?.lumen, undefined);
  });
});

describe("CalciumThicknessTool", () => {
  it("attaches the caliper to the frame's calcium entry, with live mm", () => {
    const { store, ctx, messages, press } = setup();
    const tool = new CalciumThicknessTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    assert.match(messages[0]!, /arc first/);
    ctx.annotations.setLumen(15, SQUARE);
    ctx.annotations.addCalciumArc(15, [350, 250], [250, 350]);
    tool.onPointerDown(press(100, 100));
    tool.onPointerMove({ screen: [100, 130], image: [100, 130] });
    assert.ok(Math.abs(tool.draftMm! - 0.3) < 1e-12);
    tool.onPointerDown(press(100, 130));
    assert.deepEqual(store.document.frames["15"]?.calcium?.[0]?.thickness, [
      [100, 100],
      [100, 130],
    ]);
    assert.equal(tool.onKeyDown("Delete"), true);
    assert.equal(store.document.frames["15"]?.calcium?.[0]?.thickness, undefined);
  });
});

describe("StentEdgeTool and CalciumSegmentTool (longitudinal marks)", () => {
  it("two picks set both stent edges in order; a later pick moves the nearer edge", () => {
    const { store, ctx } = setup();
    const tool = new StentEdgeTool(ctx);
    tool.setMode("active");
    tool.onFramePick(210);
    assert.equal(store.document.stent, undefined, "half an edge pair is not stored");
    tool.onFramePick(40);
    assert.deepEqual(store.document.stent, { distal_frame: 40, proximal_frame: 210 });
    tool.onFramePick(200);
    assert.deepEqual(store.document.stent, { distal_frame: 40, proximal_frame: 200 });
    assert.equal(tool.onKeyDown("Delete"), true);
    assert.equal(store.document.stent, undefined);
  });

  it("start then end adds a segment; Enter marks the frame shown; Delete removes the one there", () => {
    const { store, ctx, setFrame } = setup();
    const tool = new CalciumSegmentTool(ctx);
    tool.setMode("active");
    tool.onFramePick(120);
    tool.onFramePick(205);
    setFrame(20);
    tool.onKeyDown("Enter");
    setFrame(10);
    tool.onKeyDown("Enter");
    assert.deepEqual(store.document.calcium_segments, [
      { start_frame: 10, end_frame: 20 },
      { start_frame: 120, end_frame: 205 },
    ]);
    setFrame(150);
    tool.onKeyDown("Delete");
    assert.deepEqual(store.document.calcium_segments, [{ start_frame: 10, end_frame: 20 }]);
  });

  it("read-only: picks are ignored", () => {
    const { store, ctx } = setup();
    store.setReadOnly(true);
    const tool = new StentEdgeTool(ctx);
    tool.setMode("active");
    assert.equal(tool.onFramePick(3), false);
  });
});

describe("contour editing", () => {
  it("drag a vertex to move it (one undo step); Shift+click a vertex removes it", () => {
    const { store, ctx, press } = setup();
    ctx.annotations.setLumen(15, [
      [150, 150],
      [350, 150],
      [350, 350],
      [250, 400],
      [150, 350],
    ]);
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(350, 350));
    tool.onPointerMove({ screen: [360, 360], image: [360, 360], dragging: true });
    tool.onPointerUp();
    assert.deepEqual(store.document.frames["15"]?.lumen?.[2], [360, 360]);
    store.undo();
    assert.deepEqual(store.document.frames["15"]?.lumen?.[2], [350, 350]);
    tool.onPointerDown(press(250, 400, { shift: true }));
    assert.equal(store.document.frames["15"]?.lumen?.length, 4);
  });
});

describe("parseFrameBatch", () => {
  it("splits [index u32 BE][length u32 BE][bytes]… into per-frame blobs", async () => {
    const parts = [
      [7, [1, 2, 3]],
      [8, [4]],
    ] as const;
    const bytes: number[] = [];
    for (const [index, body] of parts) {
      bytes.push(0, 0, 0, index, 0, 0, 0, body.length, ...body);
    }
    const frames = await parseFrameBatch(new Blob([new Uint8Array(bytes)]), "image/jpeg");
    assert.deepEqual([...frames.keys()], [7, 8]);
    assert.deepEqual([...new Uint8Array(await frames.get(7)!.arrayBuffer())], [1, 2, 3]);
    assert.equal(frames.get(8)!.type, "image/jpeg");
    await assert.rejects(parseFrameBatch(new Blob([new Uint8Array([0, 0, 0, 1, 0, 0, 0, 9, 1])]), "image/jpeg"), /truncated/);
  });
});
