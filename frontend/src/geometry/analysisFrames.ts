export interface AnalysisFramesInput {
  nFrames: number;
  frameSpacingMm: number;
  stentDistalFrame: number | null | undefined;
  stentProximalFrame: number | null | undefined;
  samplingIntervalMm: number;
  referenceLengthMm: number;
  /** A `pre` pullback (no stent): the grid covers the whole pullback. */
  wholePullback?: boolean;
}

/** `lengthMm` as whole frames, rounded half up (≥ 0). Mirrors `frames.frames_for_mm`. */
export function framesForMm(lengthMm: number, frameSpacingMm: number): number {
  return Math.max(0, Math.floor(lengthMm / frameSpacingMm + 0.5));
}

/**
 * The frames proposed for analysis, ascending (SPEC §5). With
 * `k = max(1, round(samplingIntervalMm / frameSpacingMm))`: the frames `distal + j·k` from
 * `round(referenceLengthMm / frameSpacingMm)` frames distal of the stent's distal edge to as far
 * proximal of its proximal edge, plus the proximal edge itself, clipped to the pullback; a `pre`
 * pullback (`wholePullback`) gets `j·k` over the whole pullback. Rounding (not accumulated
 * distances) gives one grid for 0.11111 and 0.111112 mm spacing. Mirrors `frames.analysis_frames`.
 *
 * @returns an empty list without both stent edges (unless `wholePullback`) or without a positive
 * frame spacing.
 */
export function analysisFrames(input: AnalysisFramesInput): number[] {
  const { nFrames, frameSpacingMm, stentDistalFrame, stentProximalFrame, samplingIntervalMm, referenceLengthMm } = input;
  if (!(frameSpacingMm > 0) || !(samplingIntervalMm > 0)) return [];
  const k = Math.max(1, framesForMm(samplingIntervalMm, frameSpacingMm));
  const out: number[] = [];
  if (input.wholePullback) {
    for (let f = 0; f < nFrames; f += k) out.push(f);
    return out;
  }
  if (stentDistalFrame == null || stentProximalFrame == null || nFrames <= 0) return [];
  const steps = framesForMm(referenceLengthMm, frameSpacingMm);
  const first = Math.max(0, stentDistalFrame - steps);
  const last = Math.min(nFrames - 1, stentProximalFrame + steps);
  if (first > last) return [];
  const start = stentDistalFrame - Math.floor((stentDistalFrame - first) / k) * k;
  for (let f = start; f <= last; f += k) out.push(f);
  if (first <= stentProximalFrame && stentProximalFrame <= last && !out.includes(stentProximalFrame)) {
    out.push(stentProximalFrame);
    out.sort((a, b) => a - b);
  }
  return out;
}
