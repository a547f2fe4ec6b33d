/* eslint-disable @typescript-eslint/no-explicit-any -- the JSON cases are untyped data */
// Runs the shared known-answer cases in ../tests/data/geometry_cases.json (also used by the
// Python domain tests) against the TypeScript geometry, so the live readouts agree with the
// server's metrics. Only the sections this package implements are read; the test skips when
// the file is absent (e.g. the frontend is checked out alone).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import {
  analysisFrames,
  angleDeg,
  arcSpanDeg,
  areaMm2,
  diametersThrough,
  frameMetrics,
  orderByAngle,
  pointsToMm,
  polygonAreaPx2,
  polygonCentroidPx,
  strutMalappositionUm,
} from "../src/geometry/index.js";

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
const cases = present ? (JSON.parse(readFileSync(FILE, "utf8")) as { polygon_area?: AreaCase[]; angle_deg?: AngleCase[] }) : {};

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

// ---- Sections added with the full tool set (issue 5): the same JSON, more of it. ----

const DATA = resolve(process.cwd(), "..", "tests", "data");
const load = (name: string): any => {
  const file = resolve(DATA, name);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
};
const geometry = load("geometry_cases.json");
const readCases = load("read_metrics_cases.json");
const analysisCases = load("analysis_frames_cases.json");

describe("geometry_cases.json: arcs, ordering, diameters, malapposition", { skip: !geometry && "geometry_cases.json not found" }, () => {
  for (const c of geometry?.arc_span_deg ?? []) {
    it(`arc span ${c.start_deg}° → ${c.end_deg}°`, () => near(arcSpanDeg(c.start_deg, c.end_deg), c.span_deg, 1e-9, "span_deg"));
  }
  for (const c of geometry?.order_by_angle ?? []) {
    it(`order by angle: ${c.note ?? ""}`, () => assert.deepEqual(orderByAngle(c.center_px, c.points_px), c.ordered_px));
  }
  for (const c of geometry?.lumen_diameters ?? []) {
    it(`lumen diameters: ${c.name}`, () => {
      const mm = pointsToMm(c.points_px, c.pixel_spacing_mm);
      const d = diametersThrough(polygonCentroidPx(mm)!, mm);
      assert.ok(d);
      near(d[0], c.min_diameter_mm, c.abs_tol, "min");
      near(d[1], c.max_diameter_mm, c.abs_tol, "max");
    });
  }
  for (const c of geometry?.strut_malapposition ?? []) {
    it(`strut malapposition: ${c.name}`, () => {
      const lumen = pointsToMm(c.lumen_px, c.pixel_spacing_mm);
      const strut = pointsToMm([c.strut_px], c.pixel_spacing_mm)[0]!;
      const d = strutMalappositionUm(strut, lumen, polygonCentroidPx(lumen)!);
      assert.notEqual(d, null);
      near(d!, c.distance_um, c.abs_tol, "distance_um");
    });
  }
});

describe("read_metrics_cases.json: per-frame metrics and analysis frames", { skip: !readCases && "read_metrics_cases.json not found" }, () => {
  for (const c of readCases?.cases ?? []) {
    const frames = Object.entries((c.expected.frames ?? {}) as Record<string, Record<string, number | null>>);
    if (frames.length > 0) {
      it(`frame metrics: ${c.name}`, () => {
        const threshold = c.settings?.strut_threshold_um ?? 100;
        for (const [key, expected] of frames) {
          const got = frameMetrics(c.annotations.frames[key], c.pixel_spacing_mm, threshold) as unknown as Record<string, number | null>;
          for (const [metric, value] of Object.entries(expected)) {
            if (value === null) assert.equal(got[metric], null, `${key}.${metric}`);
            else near(got[metric] as number, value, c.abs_tol ?? 1e-6, `${key}.${metric}`);
          }
        }
      });
    }
    if (c.expected.analysis_frames) {
      it(`analysis frames: ${c.name}`, () => {
        const got = analysisFrames({
          nFrames: c.n_frames,
          frameSpacingMm: c.frame_spacing_mm,
          stentDistalFrame: c.annotations.stent?.distal_frame,
          stentProximalFrame: c.annotations.stent?.proximal_frame,
          samplingIntervalMm: c.settings?.sampling_interval_mm ?? 1,
          referenceLengthMm: c.settings?.reference_length_mm ?? 5,
        });
        assert.deepEqual(got, c.expected.analysis_frames);
      });
    }
  }
});

describe("analysis_frames_cases.json", { skip: !analysisCases && "analysis_frames_cases.json not found" }, () => {
  for (const c of analysisCases?.cases ?? []) {
    it(`analysis frames: ${c.name}`, () => {
      const got = analysisFrames({
        nFrames: c.n_frames,
        frameSpacingMm: c.frame_spacing_mm,
        stentDistalFrame: c.stent_distal_frame,
        stentProximalFrame: c.stent_proximal_frame,
        samplingIntervalMm: c.sampling_interval_mm,
        referenceLengthMm: c.reference_length_mm,
        wholePullback: c.whole_pullback ?? false,
      });
      assert.deepEqual(got, c.analysis_frames);
    });
  }
});
