import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AnnotationAdapter } from "../src/adapter/annotations.js";
import type { CoordinateAdapter } from "../src/adapter/coordinates.js";
import { fitTransform, imageToScreen, screenToImage, zoomAt, type ViewTransform } from "../src/adapter/transform.js";
import { emptyDocument } from "../src/document/document.js";
import { DocumentStore } from "../src/document/store.js";
import { polygonAreaPx2 } from "../src/geometry/polygonAreaPx2.js";
import { LumenContourTool } from "../src/tools/LumenContourTool.js";
import { StrutTool } from "../src/tools/StrutTool.js";
import type { ToolContext } from "../src/tools/tool.js";

/** A 512 × 512 frame shown at `scale` screen px per image px, offset by (10, 20). */
function setup(options: { scale?: number; readOnly?: boolean; frame?: number } = {}) {
  const t: ViewTransform = { scale: options.scale ?? 1, offsetX: 10, offsetY: 20 };
  const coords: CoordinateAdapter = {
    screenToImage: (p) => screenToImage(t, p),
    imageToScreen: (p) => imageToScreen(t, p),
    containsImagePoint: (p) => p[0] >= 0 && p[1] >= 0 && p[0] < 512 && p[1] < 512,
  };
  const store = new DocumentStore(emptyDocument(), 1, { readOnly: options.readOnly ?? false });
  const messages: string[] = [];
  let frame = options.frame ?? 12;
  const ctx: ToolContext = {
    coords,
    annotations: new AnnotationAdapter(store),
    currentFrame: () => frame,
    requestRender: () => undefined,
    notify: (m) => messages.push(m),
  };
  const press = (ix: number, iy: number, clickCount = 1) => {
    const screen = coords.imageToScreen([ix, iy]);
    return { screen, image: coords.screenToImage(screen), clickCount };
  };
  return { store, ctx, messages, press, setFrame: (f: number) => (frame = f) };
}

describe("LumenContourTool", () => {
  it("a hand-drawn contour is a spline: 12 clicks on a circle no longer read 4.3 % low", () => {
    const { store, ctx, press } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    const r = 150;
    for (let i = 0; i < 12; i++) tool.onPointerDown(press(256 + r * Math.cos((i * Math.PI) / 6), 256 + r * Math.sin((i * Math.PI) / 6)));
    tool.onKeyDown("Enter");
    const frame = store.document.frames["12"]!;
    const area = polygonAreaPx2(frame.lumen!);
    const truth = Math.PI * r * r;
    assert.ok(Math.abs(polygonAreaPx2(frame.lumen_ctrl!) / truth - 1) > 0.04, "the straight 12-gon reads > 4 % low");
    assert.ok(Math.abs(area / truth - 1) < 0.005, `spline area within 0.5 % (got ${((area / truth - 1) * 100).toFixed(2)} %)`);
  });

  it("clicks then Enter store a closed lumen on the current frame in image pixels", () => {
    const { store, ctx, press } = setup({ scale: 2 });
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    tool.onPointerDown(press(200, 100));
    tool.onPointerDown(press(150, 180.5));
    assert.equal(store.dirty, false, "an open contour is not yet part of the document");
    assert.equal(tool.onKeyDown("Enter"), true);
    // The clicks are the spline's control points; the contour is the curve through them (issue 10).
    assert.deepEqual(store.document.frames["12"]?.lumen_ctrl, [
      [100, 100],
      [200, 100],
      [150, 180.5],
    ]);
    const lumen = store.document.frames["12"].lumen!;
    assert.ok(lumen.length > 3);
    for (const p of [
      [100, 100],
      [200, 100],
      [150, 180.5],
    ])
      assert.ok(
        lumen.some((q) => q[0] === p[0] && q[1] === p[1]),
        "the curve passes through every click",
      );
    assert.equal(tool.hasDraft, false);
  });

  it("a double-click closes without adding a duplicate point", () => {
    const { store, ctx, press } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(10, 10));
    tool.onPointerDown(press(50, 10));
    tool.onPointerDown(press(30, 40));
    tool.onPointerDown(press(30, 40, 2));
    assert.deepEqual(store.document.frames["12"]?.lumen_ctrl, [
      [10, 10],
      [50, 10],
      [30, 40],
    ]);
  });

  it("a click on the first point closes the contour", () => {
    const { store, ctx, press } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    for (const [x, y] of [
      [10, 10],
      [50, 10],
      [30, 40],
    ] as const)
      tool.onPointerDown(press(x, y));
    tool.onPointerDown(press(12, 11));
    assert.equal(store.document.frames["12"]?.lumen_ctrl?.length, 3);
  });

  it("Escape cancels; fewer than 3 points or a crossing contour is refused with a message", () => {
    const { store, ctx, press, messages } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(10, 10));
    tool.onPointerDown(press(50, 10));
    tool.onKeyDown("Enter");
    assert.equal(store.dirty, false);
    assert.match(messages.at(-1)!, /at least 3 points/);
    assert.equal(tool.onKeyDown("Escape"), true);
    assert.equal(tool.hasDraft, false);
    for (const [x, y] of [
      [0, 0],
      [100, 100],
      [100, 0],
      [0, 100],
    ] as const)
      tool.onPointerDown(press(x, y));
    tool.onKeyDown("Enter");
    assert.equal(store.dirty, false);
    assert.match(messages.at(-1)!, /crosses itself/);
  });

  it("Delete removes the frame's lumen as one undoable step; Backspace drops the last draft point", () => {
    const { store, ctx, press } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    for (const [x, y] of [
      [10, 10],
      [50, 10],
      [30, 40],
      [99, 99],
    ] as const)
      tool.onPointerDown(press(x, y));
    tool.onKeyDown("Backspace");
    tool.onKeyDown("Enter");
    assert.equal(store.document.frames["12"]?.lumen_ctrl?.length, 3);
    assert.equal(tool.onKeyDown("Delete"), true);
    assert.equal(Object.keys(store.document.frames).length, 0);
    store.undo();
    assert.equal(store.document.frames["12"]?.lumen_ctrl?.length, 3);
  });

  it("the draft is dropped on frame change", () => {
    const { ctx, press } = setup();
    const tool = new LumenContourTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(10, 10));
    tool.onFrameChange();
    assert.equal(tool.hasDraft, false);
  });

  it("ignores input when passive, disabled or read-only", () => {
    for (const [mode, readOnly] of [
      ["passive", false],
      ["disabled", false],
      ["active", true],
    ] as const) {
      const { store, ctx, press } = setup({ readOnly });
      const tool = new LumenContourTool(ctx);
      tool.setMode(mode);
      assert.equal(tool.onPointerDown(press(10, 10)), false);
      assert.equal(tool.onKeyDown("Delete"), false);
      assert.equal(store.dirty, false);
    }
  });
});

describe("StrutTool", () => {
  it("a click adds a strut; a click within 6 screen px of it removes it", () => {
    const { store, ctx, press } = setup({ scale: 3 });
    const tool = new StrutTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    tool.onPointerDown(press(300, 300));
    assert.deepEqual(store.document.frames["12"]?.struts, [
      [100, 100],
      [300, 300],
    ]);
    // 1.9 image px at scale 3 = 5.7 screen px: a hit.
    tool.onPointerDown(press(101.9, 100));
    assert.deepEqual(store.document.frames["12"]?.struts, [[300, 300]]);
    // 2.1 image px = 6.3 screen px: a new strut.
    tool.onPointerDown(press(302.1, 300));
    assert.equal(store.document.frames["12"]?.struts?.length, 2);
  });

  it("removes the nearest strut when several are in reach", () => {
    const { store, ctx, press } = setup();
    const tool = new StrutTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    tool.onPointerDown(press(108, 100));
    tool.onPointerDown(press(105, 100));
    assert.deepEqual(store.document.frames["12"]?.struts, [[100, 100]]);
  });

  it("ignores the second press of a double-click and presses outside the image", () => {
    const { store, ctx, press, messages } = setup();
    const tool = new StrutTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    tool.onPointerDown(press(100, 100, 2));
    assert.equal(store.document.frames["12"]?.struts?.length, 1);
    tool.onPointerDown(press(-5, 100));
    assert.equal(store.document.frames["12"]?.struts?.length, 1);
    assert.equal(messages.length, 1);
  });

  it("struts belong to the frame they were placed on", () => {
    const { store, ctx, press, setFrame } = setup();
    const tool = new StrutTool(ctx);
    tool.setMode("active");
    tool.onPointerDown(press(100, 100));
    setFrame(13);
    tool.onPointerDown(press(100, 100));
    assert.equal(store.document.frames["12"]?.struts?.length, 1);
    assert.equal(store.document.frames["13"]?.struts?.length, 1);
  });
});

describe("view transform (adapter)", () => {
  it("screen ⇄ image round-trips, with x = column and y = row", () => {
    const t: ViewTransform = { scale: 2.5, offsetX: 30, offsetY: -12 };
    const s = imageToScreen(t, [100, 40]);
    assert.deepEqual(s, [280, 88]);
    assert.deepEqual(screenToImage(t, s), [100, 40]);
  });

  it("fits and centres the frame; zoom keeps the point under the cursor fixed", () => {
    const t = fitTransform(512, 256, 1000, 1000);
    assert.equal(t.scale, 1000 / 512);
    assert.equal(t.offsetX, 0);
    assert.equal(t.offsetY, (1000 - 256 * t.scale) / 2);
    const anchor: [number, number] = [321, 456];
    const before = screenToImage(t, anchor);
    const after = screenToImage(zoomAt(t, 1.25, anchor), anchor);
    assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  });
});
