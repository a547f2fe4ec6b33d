/** Response shapes of the /api/v1 endpoints the viewer uses (SPEC §9). */

export type ReadStatus = "assigned" | "in_progress" | "submitted";

/** GET /reads/{id}/ */
export interface ReadResponse {
  id: number;
  pullback: number;
  /** A ReadStatus; typed loosely so a new server state never breaks the viewer. */
  status: string;
  version: number;
  annotations: unknown;
  metrics: unknown;
}

/** GET /pullbacks/{id}/ */
export interface PullbackResponse {
  id: number;
  status: string;
  error: string | null;
  n_frames: number;
  rows: number;
  columns: number;
  /** [row spacing, column spacing] in mm per pixel, or null when uncalibrated. */
  pixel_spacing_mm: [number, number] | null;
  frame_spacing_mm: number | null;
  calibration_source: string | null;
}

/** PUT /reads/{id}/annotations/ → 200 */
export interface SaveAnnotationsResponse {
  version: number;
}

/** Every API error body: {detail, code, field?}; 409 on annotations also carries `version`. */
export interface ApiErrorBody {
  detail?: unknown;
  code?: unknown;
  field?: unknown;
  version?: unknown;
  frames?: unknown;
}

/** A read as the adjudicator sees it: a label ("Reader 1", "Reader 2", "Adjudicator"), never a name. */
export interface BlindedRead {
  label: string;
  status: string;
  annotations: unknown;
  metrics: Record<string, unknown> | null;
}

export interface AdjudicationFlag {
  metric: string;
  group: string;
  a: unknown;
  b: unknown;
  difference: number | null;
  tolerance: number | null;
}

/** GET /adjudications/{id}/ */
export interface AdjudicationResponse {
  id: number;
  pullback: number;
  pullback_status: string;
  /** "open" until the adjudicator signs, then "resolved". */
  status: string;
  reads: BlindedRead[];
  flags: AdjudicationFlag[];
  decisions: Array<{ group: string; source: string; reason: string }>;
}
