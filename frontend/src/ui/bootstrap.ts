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

/** Parses and checks the bootstrap JSON text; throws BootstrapError naming the bad field. */
export function parseBootstrap(text: string): ViewerBootstrap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BootstrapError("viewer-bootstrap is not valid JSON");
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new BootstrapError("viewer-bootstrap must be a JSON object");
  }
  const o = raw as Record<string, unknown>;
  const frameUrlTemplate = nonEmptyString(o, "frame_url_template");
  if (!frameUrlTemplate.includes("{n}")) {
    throw new BootstrapError('viewer-bootstrap: "frame_url_template" must contain "{n}"');
  }
  if (typeof o["read_only"] !== "boolean") {
    throw new BootstrapError('viewer-bootstrap: "read_only" must be true or false');
  }
  return {
    read_id: positiveInt(o, "read_id"),
    pullback_id: positiveInt(o, "pullback_id"),
    api_base: nonEmptyString(o, "api_base"),
    csrf_token: nonEmptyString(o, "csrf_token"),
    read_only: o["read_only"],
    frame_url_template: frameUrlTemplate,
  };
}
