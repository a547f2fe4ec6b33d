/** Distances within this many mm count as equal (float noise: 9 × 20/180 = 0.99999…). */
const EPS_MM = 1e-9;

export interface AnalysisFramesInput {
  nFrames: number;
  frameSpacingMm: number;
  stentDistalFrame: number | null | undefined;
  stentProximalFrame: number | null | undefined;
  samplingIntervalMm: number;
  referenceLengthMm: number;
}

function framesWithin(lengthMm: number, frameSpacingMm: number): number {
  return Math.max(0, Math.floor(lengthMm / frameSpacingMm + EPS_MM / frameSpacingMm));
}

/**
 * The frames proposed for analysis, ascending (SPEC §5): from `referenceLengthMm` distal of the
 * stent's distal edge to `referenceLengthMm` proximal of its proximal edge (clipped to the
 * pullback), every frame whose distance from the previous analysis frame reaches
 * `samplingIntervalMm`. Mirrors `frames.analysis_frames`.
 *
 * @returns an empty list without both stent edges or without a positive frame spacing.
 */
export function analysisFrames(input: AnalysisFramesInput): number[] {
  const { nFrames, frameSpacingMm, stentDistalFrame, stentProximalFrame, samplingIntervalMm, referenceLengthMm } = input;
  if (!(frameSpacingMm > 0) || !(samplingIntervalMm > 0)) return [];
  if (stentDistalFrame == null || stentProximalFrame == null || nFrames <= 0) return [];
  const steps = framesWithin(referenceLengthMm, frameSpacingMm);
  const first = Math.max(0, stentDistalFrame - steps);
  const last = Math.min(nFrames - 1, stentProximalFrame + steps);
  if (first > last) return [];
  let step = Math.max(1, Math.ceil(samplingIntervalMm / frameSpacingMm - EPS_MM / frameSpacingMm));
  while (step * frameSpacingMm < samplingIntervalMm - EPS_MM) step++;
  while (step > 1 && (step - 1) * frameSpacingMm >= samplingIntervalMm - EPS_MM) step--;
  const out: number[] = [];
  for (let f = first; f <= last; f += step) out.push(f);
  return out;
}
