import type { PointPx } from "./types.js";

/** Three-point Gauss-Legendre on [0, 1]: exact for the degree-5 integrand of one segment. */
const GL_NODES = [0.5 - Math.sqrt(15) / 10, 0.5, 0.5 + Math.sqrt(15) / 10];
const GL_WEIGHTS = [5 / 18, 8 / 18, 5 / 18];

/** Solves the dense n×n system `a·x = b` (one right-hand side per column of `b`). */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]!]);
  const width = m[0]!.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c < width; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row.slice(n).map((v) => v / row[i]!));
}

/**
 * Area enclosed by the closed periodic (C²) cubic spline through `points`, chord-length
 * parameterised, in the points' unit² (SPEC §5 stent area from struts). Green's theorem per
 * segment, integrated exactly. Consecutive duplicates are dropped; fewer than 3 distinct points
 * give 0. Mirrors `geometry.periodic_spline_area`.
 */
export function periodicSplineArea(points: readonly PointPx[]): number {
  const pts: Array<[number, number]> = [];
  for (const p of points) {
    const last = pts[pts.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push([p[0], p[1]]);
  }
  while (pts.length > 1 && pts[0]![0] === pts[pts.length - 1]![0] && pts[0]![1] === pts[pts.length - 1]![1]) pts.pop();
  const n = pts.length;
  if (n < 3) return 0;
  const mean = [pts.reduce((s, p) => s + p[0], 0) / n, pts.reduce((s, p) => s + p[1], 0) / n];
  const p = pts.map(([x, y]) => [x - mean[0]!, y - mean[1]!] as [number, number]);
  const next = (i: number): number => (i + 1) % n;
  const prev = (i: number): number => (i - 1 + n) % n;
  const h = p.map((q, i) => Math.hypot(p[next(i)]![0] - q[0], p[next(i)]![1] - q[1]));
  const slope = p.map((q, i) => [(p[next(i)]![0] - q[0]) / h[i]!, (p[next(i)]![1] - q[1]) / h[i]!]);
  const a = p.map(() => new Array<number>(n).fill(0));
  const rhs = p.map((_, i) => [6 * (slope[i]![0]! - slope[prev(i)]![0]!), 6 * (slope[i]![1]! - slope[prev(i)]![1]!)]);
  for (let i = 0; i < n; i++) {
    a[i]![prev(i)]! += h[prev(i)]!;
    a[i]![i]! += 2 * (h[prev(i)]! + h[i]!);
    a[i]![next(i)]! += h[i]!;
  }
  const m = solve(a, rhs);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const hi = h[i]!;
    const coef = [0, 1].map((axis) => {
      const m0 = m[i]![axis]!;
      const m1 = m[next(i)]![axis]!;
      return { p: p[i]![axis]!, b: slope[i]![axis]! - (hi * (2 * m0 + m1)) / 6, c: m0 / 2, d: (m1 - m0) / (6 * hi) };
    });
    for (let g = 0; g < 3; g++) {
      const t = hi * GL_NODES[g]!;
      const [x, y] = coef.map((k) => k.p + k.b * t + k.c * t * t + k.d * t * t * t);
      const [vx, vy] = coef.map((k) => k.b + 2 * k.c * t + 3 * k.d * t * t);
      total += GL_WEIGHTS[g]! * hi * (x! * vy! - y! * vx!);
    }
  }
  return Math.abs(total) / 2;
}
