import type { AdjudicationResponse, ApiErrorBody, PullbackResponse, ReadResponse, SaveAnnotationsResponse } from "./types.js";

export type { AdjudicationResponse, BlindedRead, PullbackResponse, ReadResponse, SaveAnnotationsResponse } from "./types.js";

/**
 * An API failure with the server's `{detail, code, field}` (SPEC §9).
 * `status` is 0 when the request never got an HTTP answer (network down, CORS, abort).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly field: string | null;
  /** The server's current version on a 409 conflict, when it sent one. */
  readonly currentVersion: number | null;
  /** The analysis frames an `incomplete` read lacks (400 on submit, SPEC §2). */
  readonly frames: number[] | null;

  constructor(init: { status: number; code: string; detail: string; field?: string | null; currentVersion?: number | null; frames?: number[] | null }) {
    super(init.field ? `${init.detail} (${init.field})` : init.detail);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.field = init.field ?? null;
    this.currentVersion = init.currentVersion ?? null;
    this.frames = init.frames ?? null;
  }

  /** A stale `version` on save: someone (or another tab) saved first. */
  get isConflict(): boolean {
    return this.status === 409;
  }
}

/** Builds an ApiError from a non-2xx status and whatever body came back. */
export function apiErrorFrom(status: number, statusText: string, body: unknown): ApiError {
  const b: ApiErrorBody = body !== null && typeof body === "object" ? body : {};
  const detail = typeof b.detail === "string" && b.detail ? b.detail : statusText || `Request failed with HTTP ${status}`;
  const code = typeof b.code === "string" && b.code ? b.code : status === 409 ? "conflict" : `http_${status}`;
  const field = typeof b.field === "string" ? b.field : null;
  const currentVersion = typeof b.version === "number" && Number.isInteger(b.version) ? b.version : null;
  const frames = Array.isArray(b.frames) ? b.frames.filter((f): f is number => Number.isInteger(f)) : null;
  return new ApiError({ status, code, detail, field, currentVersion, frames });
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Typed fetch wrapper for /api/v1 with the browser session: same-origin cookies,
 * the CSRF token on unsafe methods, JSON in and out, errors as ApiError.
 */
export class ApiClient {
  private readonly base: string;

  constructor(
    apiBase: string,
    private readonly csrfToken: string,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {
    this.base = apiBase.replace(/\/+$/, "");
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (UNSAFE_METHODS.has(method)) headers["X-CSRFToken"] = this.csrfToken;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, init);
    } catch (err) {
      throw new ApiError({
        status: 0,
        code: "network",
        detail: `Network error: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) throw apiErrorFrom(response.status, response.statusText, parsed);
    return parsed as T;
  }

  getRead(readId: number): Promise<ReadResponse> {
    return this.request<ReadResponse>("GET", `/reads/${readId}/`);
  }

  /** Both reads (labelled Reader 1 / Reader 2; plus "Adjudicator" once resolved with one), flags, decisions. */
  getAdjudication(adjudicationId: number): Promise<AdjudicationResponse> {
    return this.request<AdjudicationResponse>("GET", `/adjudications/${adjudicationId}/`);
  }

  getPullback(pullbackId: number): Promise<PullbackResponse> {
    return this.request<PullbackResponse>("GET", `/pullbacks/${pullbackId}/`);
  }

  /**
   * Signs and submits the read; 403 `password_invalid` on a wrong password, 400 `incomplete`
   * (with `frames`) unless `incomplete` gives the reader's reason for submitting anyway.
   */
  submitRead(readId: number, password: string, incomplete?: { reason: string }): Promise<ReadResponse> {
    const body = incomplete ? { password, allow_incomplete: true, reason: incomplete.reason } : { password };
    return this.request<ReadResponse>("POST", `/reads/${readId}/submit/`, body);
  }

  /** PUT the whole document; 409 (ApiError.isConflict) when `version` is stale. */
  saveAnnotations(readId: number, version: number, annotations: unknown): Promise<SaveAnnotationsResponse> {
    return this.request<SaveAnnotationsResponse>("PUT", `/reads/${readId}/annotations/`, {
      version,
      annotations,
    });
  }

  /** The caller's own annotation draft of an adjudication (version 0 when none). */
  getAdjudicationDraft(adjudicationId: number): Promise<AdjudicationDraft> {
    return this.request<AdjudicationDraft>("GET", `/adjudications/${adjudicationId}/draft/`);
  }

  /** PUT the draft; 409 (ApiError.isConflict) when `version` is stale; null annotations discard it. */
  saveAdjudicationDraft(adjudicationId: number, draft: AdjudicationDraft): Promise<AdjudicationDraft> {
    return this.request<AdjudicationDraft>("PUT", `/adjudications/${adjudicationId}/draft/`, draft);
  }
}

/** The adjudicator's own annotation as saved on the server (issue 14). */
export interface AdjudicationDraft {
  version: number;
  /** "reader1" | "reader2" | "empty", or "" when discarded / none. */
  origin: string;
  annotations: unknown;
}
