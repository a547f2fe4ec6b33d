/**
 * The page contract: the Django template renders `<div id="viewer-root">` and
 * `{{ bootstrap|json_script:"viewer-bootstrap" }}` with exactly these fields.
 */
export interface ViewerBootstrap {
  read_id: number;
  pullback_id: number;
  /** e.g. "/api/v1" (no trailing slash needed). */
  api_base: string;
  csrf_token: string;
  read_only: boolean;
  /** Frame image URL with "{n}" for the 0-based frame index, e.g. "/api/v1/pullbacks/2/frames/{n}". */
  frame_url_template: string;
  /** Optional (defaults in brackets). Batched frames URL with "{start}" and "{count}" [derived]. */
  frames_batch_url_template: string | null;
  /** Frames per batch request; batches start at its multiples, so a proxy can send each as a file [64]. */
  frames_batch_size: number;
  /** L-mode image URL with "{angle}" (whole degrees) [derived]; null assembles it in the browser. */
  lmode_url_template: string | null;
  /** Study settings the live readouts use (SPEC §5) [100 µm, 1.0 mm, 5.0 mm]. */
  strut_threshold_um: number;
  sampling_interval_mm: number;
  reference_length_mm: number;
  /** A `pre` pullback: the analysis grid covers the whole pullback (SPEC §5) [false]. */
  whole_pullback: boolean;
}

/** Derives "/api/v1/pullbacks/2/frames/" from the per-frame template "/api/v1/pullbacks/2/frames/{n}". */
function framesBase(frameUrlTemplate: string): string | null {
  const i = frameUrlTemplate.indexOf("{n}");
  return i > 0 && frameUrlTemplate.endsWith("{n}") ? frameUrlTemplate.slice(0, i) : null;
}

function optionalPositive(o: Record<string, unknown>, key: string, fallback: number): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new BootstrapError(`viewer-bootstrap: "${key}" must be a positive number`);
  }
  return v;
}

function optionalTemplate(o: Record<string, unknown>, key: string, placeholder: string, fallback: string | null): string | null {
  const v = o[key];
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== "string" || !v.includes(placeholder)) {
    throw new BootstrapError(`viewer-bootstrap: "${key}" must be a string containing "${placeholder}"`);
  }
  return v;
}

export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BootstrapError";
  }
}

function positiveInt(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new BootstrapError(`viewer-bootstrap: "${key}" must be a positive integer`);
  }
  return v;
}

function nonEmptyString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0) {
    throw new BootstrapError(`viewer-bootstrap: "${key}" must be a non-empty string`);
  }
  return v;
}

/** The fields every viewer page sends (reading and adjudication pages). */
export type ViewerPageBootstrap = Omit<ViewerBootstrap, "read_id">;

/** Parses the JSON text into an object; throws BootstrapError (`name` is the script's id). */
export function bootstrapObject(text: string, name = "viewer-bootstrap"): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BootstrapError(`${name} is not valid JSON`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new BootstrapError(`${name} must be a JSON object`);
  }
  return raw as Record<string, unknown>;
}

/** Checks the fields shared by the viewer pages (all but the page's own id). */
export function parseViewerFields(o: Record<string, unknown>): ViewerPageBootstrap {
  const frameUrlTemplate = nonEmptyString(o, "frame_url_template");
  if (!frameUrlTemplate.includes("{n}")) {
    throw new BootstrapError('viewer-bootstrap: "frame_url_template" must contain "{n}"');
  }
  if (typeof o["read_only"] !== "boolean") {
    throw new BootstrapError('viewer-bootstrap: "read_only" must be true or false');
  }
  const base = framesBase(frameUrlTemplate);
  const pullbackId = positiveInt(o, "pullback_id");
  const derivedLmode = base ? base.replace(/frames\/$/, "lmode/?angle_deg={angle}") : null;
  return {
    frames_batch_url_template: optionalTemplate(o, "frames_batch_url_template", "{start}", base ? `${base}?start={start}&count={count}` : null),
    frames_batch_size: Math.round(optionalPositive(o, "frames_batch_size", 64)),
    lmode_url_template: optionalTemplate(o, "lmode_url_template", "{angle}", derivedLmode === base ? null : derivedLmode),
    strut_threshold_um: optionalPositive(o, "strut_threshold_um", 100),
    sampling_interval_mm: optionalPositive(o, "sampling_interval_mm", 1),
    reference_length_mm: optionalPositive(o, "reference_length_mm", 5),
    whole_pullback: o["whole_pullback"] === true,
    pullback_id: pullbackId,
    api_base: nonEmptyString(o, "api_base"),
    csrf_token: nonEmptyString(o, "csrf_token"),
    read_only: o["read_only"],
    frame_url_template: frameUrlTemplate,
  };
}

/** Parses and checks the bootstrap JSON text; throws BootstrapError naming the bad field. */
export function parseBootstrap(text: string): ViewerBootstrap {
  const o = bootstrapObject(text);
  return { ...parseViewerFields(o), read_id: positiveInt(o, "read_id") };
}

/** Checks that `key` holds a positive integer (page ids). */
export function bootstrapId(o: Record<string, unknown>, key: string): number {
  return positiveInt(o, key);
}
