import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiClient, ApiError } from "../src/api/client.js";

interface Captured {
  url: string;
  init: RequestInit;
}

function fakeFetch(status: number, body: unknown, captured: Captured[] = []) {
  return async (url: string, init: RequestInit = {}) => {
    captured.push({ url, init });
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return new Response(status === 204 ? null : text, {
      status,
      headers: { "Content-Type": "application/json" },
    });
  };
}

const headersOf = (c: Captured) => c.init.headers as Record<string, string>;

describe("ApiClient", () => {
  it("GETs a read with the session cookie and without the CSRF header", async () => {
    const captured: Captured[] = [];
    const client = new ApiClient("/api/v1/", "tok", fakeFetch(200, { id: 1, version: 3 }, captured));
    const read = await client.getRead(1);
    assert.equal(read.version, 3);
    assert.equal(captured[0]!.url, "/api/v1/reads/1/");
    assert.equal(captured[0]!.init.method, "GET");
    assert.equal(captured[0]!.init.credentials, "same-origin");
    assert.equal(headersOf(captured[0]!)["X-CSRFToken"], undefined);
  });

  it("PUTs {version, annotations} with the CSRF token and JSON content type", async () => {
    const captured: Captured[] = [];
    const client = new ApiClient("/api/v1", "tok", fakeFetch(200, { version: 4 }, captured));
    const res = await client.saveAnnotations(7, 3, { frames: {} });
    assert.deepEqual(res, { version: 4 });
    assert.equal(captured[0]!.url, "/api/v1/reads/7/annotations/");
    assert.equal(captured[0]!.init.method, "PUT");
    assert.equal(headersOf(captured[0]!)["X-CSRFToken"], "tok");
    assert.equal(headersOf(captured[0]!)["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(String(captured[0]!.init.body)), { version: 3, annotations: { frames: {} } });
  });

  it("turns a 409 into a conflict ApiError carrying the current version", async () => {
    const client = new ApiClient("/api/v1", "tok", fakeFetch(409, { detail: "stale", code: "conflict", version: 9 }));
    await assert.rejects(client.saveAnnotations(1, 3, { frames: {} }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.isConflict, true);
      assert.equal(err.currentVersion, 9);
      assert.equal(err.code, "conflict");
      return true;
    });
  });

  it("turns a 400 into an ApiError naming the field", async () => {
    const body = { detail: "lumen needs at least 3 points", code: "invalid", field: "frames.12.lumen" };
    const client = new ApiClient("/api/v1", "tok", fakeFetch(400, body));
    await assert.rejects(client.saveAnnotations(1, 3, {}), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 400);
      assert.equal(err.field, "frames.12.lumen");
      assert.equal(err.detail, body.detail);
      assert.equal(err.isConflict, false);
      return true;
    });
  });

  it("copes with a non-JSON error body and with network failures", async () => {
    const html = new ApiClient("/api/v1", "t", fakeFetch(502, "<html>bad gateway</html>"));
    await assert.rejects(html.getPullback(2), (err: unknown) => err instanceof ApiError && err.status === 502 && err.code === "http_502");
    const offline = new ApiClient("/api/v1", "t", async () => {
      throw new TypeError("Failed to fetch");
    });
    await assert.rejects(offline.getPullback(2), (err: unknown) => err instanceof ApiError && err.status === 0 && err.code === "network");
  });
});
