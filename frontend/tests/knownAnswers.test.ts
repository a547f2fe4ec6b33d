// Runs the shared known-answer cases in ../tests/data/geometry_cases.json (also used by the
// Python domain tests) against the TypeScript geometry, so the live readouts agree with the
// server's metrics. Only the sections this package implements are read; the test skips when
// the file is absent (e.g. the frontend is checked out alone).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { angleDeg, areaMm2, polygonAreaPx2 } from "../src/geometry/index.js";

interface AreaCase {
  name?: string;
  points_px: Array<[number, number]>;
  pixel_spacing_mm: [number, number];
  area_px2: number;
  area_mm2: number;
  abs_tol: number;
}

interface AngleCase {
  note?: string;
  center_px: [number, number];
  point_px: [number, number];
  angle_deg: number;
}

// The test runner's working directory is frontend/ (scripts/run-tests.mjs).
const FILE = resolve(process.cwd(), "..", "tests", "data", "geometry_cases.json");
const present = existsSync(FILE);
const cases = present
  ? (JSON.parse(readFileSync(FILE, "utf8")) as { polygon_area?: AreaCase[]; angle_deg?: AngleCase[] })
  : {};

const near = (actual: number, expected: number, tol: number, label: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${label}: ${actual} ≠ ${expected} (±${tol})`);

describe("known answers shared with the Python domain (tests/data/geometry_cases.json)", { skip: !present && `${FILE} not found` }, () => {
  it("has the sections the viewer implements", () => {
    assert.ok((cases.polygon_area?.length ?? 0) > 0, "polygon_area cases");
    assert.ok((cases.angle_deg?.length ?? 0) > 0, "angle_deg cases");
  });

  for (const [i, c] of (cases.polygon_area ?? []).entries()) {
    it(`polygon area: ${c.name ?? i}`, () => {
      const px2 = polygonAreaPx2(c.points_px);
      near(px2, c.area_px2, c.abs_tol * 1e4, "area_px2");
      near(areaMm2(px2, c.pixel_spacing_mm), c.area_mm2, c.abs_tol, "area_mm2");
    });
  }

  for (const [i, c] of (cases.angle_deg ?? []).entries()) {
    it(`angle: ${c.note ?? `case ${i}`} (${c.point_px} from ${c.center_px})`, () => {
      near(angleDeg(c.center_px, c.point_px), c.angle_deg, 1e-9, "angle_deg");
    });
  }
});
