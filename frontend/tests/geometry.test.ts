import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analysisFrames, angleDeg, areaMm2, periodicSplineArea, polygonAreaPx2, polygonCentroidPx, polygonSelfIntersects } from "../src/geometry/index.js";

const close = (actual: number, expected: number, eps = 1e-9) => assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected} (±${eps})`);

describe("polygonAreaPx2", () => {
  it("gives a 10 × 4 rectangle 40 px² whichever way it is wound", () => {
    const rect: Array<[number, number]> = [
      [0, 0],
      [10, 0],
      [10, 4],
      [0, 4],
    ];
    assert.equal(polygonAreaPx2(rect), 40);
    assert.equal(polygonAreaPx2([...rect].reverse()), 40);
  });

  it("handles a triangle at an offset with sub-pixel coordinates", () => {
    close(
      polygonAreaPx2([
        [100.5, 200.25],
        [110.5, 200.25],
        [100.5, 210.25],
      ]),
      50,
    );
  });

  it("is 0 for fewer than 3 points or collinear points", () => {
    assert.equal(polygonAreaPx2([]), 0);
    assert.equal(
      polygonAreaPx2([
        [0, 0],
        [5, 5],
      ]),
      0,
    );
    assert.equal(
      polygonAreaPx2([
        [0, 0],
        [1, 1],
        [2, 2],
      ]),
      0,
    );
  });

  it("approaches πr² for a finely sampled circle", () => {
    const r = 100;
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < 3600; i++) pts.push([256 + r * Math.cos((i * Math.PI) / 1800), 256 + r * Math.sin((i * Math.PI) / 1800)]);
    close(polygonAreaPx2(pts), Math.PI * r * r, 0.05);
  });
});

describe("polygonCentroidPx", () => {
  it("finds the centre of a square", () => {
    assert.deepEqual(
      polygonCentroidPx([
        [10, 10],
        [30, 10],
        [30, 30],
        [10, 30],
      ]),
      [20, 20],
    );
  });

  it("weights by area, not by vertex count (L shape)", () => {
    // Unit squares at (0..2, 0..1) and (0..1, 1..2): area 3, centroid (5/6, 5/6).
    const c = polygonCentroidPx([
      [0, 0],
      [2, 0],
      [2, 1],
      [1, 1],
      [1, 2],
      [0, 2],
    ])!;
    close(c[0], 5 / 6);
    close(c[1], 5 / 6);
  });

  it("stays accurate far from the origin", () => {
    const c = polygonCentroidPx([
      [1e6, 1e6],
      [1e6 + 2, 1e6],
      [1e6 + 2, 1e6 + 2],
      [1e6, 1e6 + 2],
    ])!;
    close(c[0], 1e6 + 1, 1e-6);
    close(c[1], 1e6 + 1, 1e-6);
  });

  it("falls back to the vertex mean for a degenerate polygon and null for none", () => {
    assert.deepEqual(
      polygonCentroidPx([
        [0, 0],
        [2, 2],
        [4, 4],
      ]),
      [2, 2],
    );
    assert.equal(polygonCentroidPx([]), null);
  });
});

describe("areaMm2", () => {
  it("multiplies by row × column spacing (anisotropic pixels)", () => {
    close(areaMm2(100, [0.01, 0.02]), 0.02);
  });

  it("agrees with the polygon scaled to mm on each axis", () => {
    const px: Array<[number, number]> = [
      [0, 0],
      [200, 0],
      [150, 120],
      [20, 90],
    ];
    const spacing: [number, number] = [0.0088, 0.0124]; // [row (y), column (x)]
    const mm = px.map(([x, y]) => [x * spacing[1], y * spacing[0]] as [number, number]);
    close(areaMm2(polygonAreaPx2(px), spacing), polygonAreaPx2(mm), 1e-12);
  });

  it("refuses a missing or non-positive spacing instead of guessing", () => {
    assert.throws(() => areaMm2(10, [0, 0.01]), RangeError);
    assert.throws(() => areaMm2(10, [Number.NaN, 0.01]), RangeError);
    assert.throws(() => areaMm2(10, [0.01, -1]), RangeError);
  });
});

describe("angleDeg", () => {
  const c: [number, number] = [100, 100];
  it("measures clockwise on screen from 3 o'clock with y down", () => {
    assert.equal(angleDeg(c, [150, 100]), 0); // 3 o'clock
    close(angleDeg(c, [100, 150]), 90); // 6 o'clock
    close(angleDeg(c, [50, 100]), 180); // 9 o'clock
    close(angleDeg(c, [100, 50]), 270); // 12 o'clock
    close(angleDeg(c, [110, 110]), 45);
  });

  it("stays in [0, 360)", () => {
    const a = angleDeg(c, [200, 100 - 1e-13]);
    assert.ok(a >= 0 && a < 360, String(a));
    for (let i = 0; i < 360; i += 7) {
      const t = (i * Math.PI) / 180;
      const v = angleDeg(c, [100 + Math.cos(t), 100 + Math.sin(t)]);
      assert.ok(v >= 0 && v < 360);
      close(v, i, 1e-9);
    }
  });

  it("is 0 when the points coincide", () => {
    assert.equal(angleDeg(c, c), 0);
  });
});

describe("polygonSelfIntersects", () => {
  it("accepts simple polygons", () => {
    assert.equal(
      polygonSelfIntersects([
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
      ]),
      false,
    );
    assert.equal(
      polygonSelfIntersects([
        [0, 0],
        [2, 0],
        [2, 1],
        [1, 1],
        [1, 2],
        [0, 2],
      ]),
      false,
    );
    assert.equal(
      polygonSelfIntersects([
        [0, 0],
        [10, 0],
        [5, 5],
      ]),
      false,
    );
  });

  it("detects a bow tie and a touching vertex", () => {
    assert.equal(
      polygonSelfIntersects([
        [0, 0],
        [10, 10],
        [10, 0],
        [0, 10],
      ]),
      true,
    );
    assert.equal(
      polygonSelfIntersects([
        [0, 0],
        [10, 0],
        [10, 10],
        [5, 0],
        [0, 10],
      ]),
      true,
    );
  });
});

describe("periodicSplineArea (SPEC §5 stent area from struts)", () => {
  const circle = (n: number): Array<[number, number]> =>
    Array.from({ length: n }, (_, i) => [1.5 * Math.cos((2 * Math.PI * i) / n) + 3, 1.5 * Math.sin((2 * Math.PI * i) / n) + 4]);
  it("9 struts on a 3.0 mm circle read its area (7.07 mm², the polygon 6.51)", () => {
    const area = periodicSplineArea(circle(9));
    assert.ok(Math.abs(area - Math.PI * 2.25) / (Math.PI * 2.25) < 0.002, String(area));
    assert.ok(Math.abs(polygonAreaPx2(circle(9)) - 6.508) < 0.01);
  });
  it("6 struts stay within 1 % of the circle", () => {
    assert.ok(Math.abs(periodicSplineArea(circle(6)) - Math.PI * 2.25) / (Math.PI * 2.25) < 0.01);
  });
  it("fewer than 3 distinct points enclose nothing", () => {
    assert.equal(
      periodicSplineArea([
        [0, 0],
        [1, 1],
        [1, 1],
      ]),
      0,
    );
  });
});

describe("analysisFrames (SPEC §5 grid)", () => {
  it("0.11111 and 0.111112 mm spacing of one acquisition give one grid (k = 9)", () => {
    const grid = (frameSpacingMm: number): number[] =>
      analysisFrames({ nFrames: 540, frameSpacingMm, stentDistalFrame: 137, stentProximalFrame: 300, samplingIntervalMm: 1, referenceLengthMm: 5 });
    assert.deepEqual(grid(0.11111), grid(0.111112));
    assert.deepEqual(grid(0.11111).slice(0, 3), [92, 101, 110]);
  });
});
