import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameLoader, FrameLoadError, frameUrl } from "../src/viewer/frameLoader.js";
import { settle } from "./helpers.js";

function fakeServer(options: { contentType?: string; status?: number } = {}) {
  const requested: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchImpl = async (url: string) => {
    requested.push(url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await settle();
    inFlight--;
    return new Response(new Uint8Array([1, 2, 3]), {
      status: options.status ?? 200,
      headers: { "Content-Type": options.contentType ?? "image/jpeg" },
    });
  };
  // Decoding is the browser's job; a marker object stands in for the ImageBitmap.
  const decode = async (blob: Blob) => ({ size: blob.size }) as unknown as ImageBitmap;
  return { requested, fetchImpl, decode, maxInFlight: () => maxInFlight };
}

describe("FrameLoader", () => {
  it("expands the frame URL template", () => {
    assert.equal(frameUrl("/api/v1/pullbacks/2/frames/{n}", 17), "/api/v1/pullbacks/2/frames/17");
  });

  it("loads the shown frame first, then prefetches the rest nearest-first within the concurrency limit", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 20, { concurrency: 3, fetchImpl: server.fetchImpl, decode: server.decode });
    loader.setFocus(10);
    const first = loader.get(10);
    loader.startPrefetch();
    await first;
    while (loader.loadedCount < 20) await settle();
    assert.equal(server.requested[0], "/f/10");
    assert.deepEqual(server.requested.slice(1, 3).sort(), ["/f/11", "/f/9"]);
    assert.equal(server.requested.length, 20, "each frame is downloaded once");
    assert.ok(server.maxInFlight() <= 3, `max in flight ${server.maxInFlight()}`);
    assert.ok(loader.peek(10));
  });

  it("keeps decoded frames within the memory budget, never dropping the shown frame", async () => {
    const server = fakeServer();
    // 1024² RGBA bitmaps: 4 MiB each; a 10 MiB budget holds two of them.
    const decode = async () => ({ width: 1024, height: 1024 }) as unknown as ImageBitmap;
    const loader = new FrameLoader("/f/{n}", 8, {
      fetchImpl: server.fetchImpl,
      decode,
      decodedCapacity: 64,
      decodedBudgetBytes: 10 * 1024 * 1024,
    });
    loader.setFocus(0);
    for (const n of [0, 1, 2, 3, 4]) await loader.get(n);
    assert.ok(loader.decodedByteCount <= 10 * 1024 * 1024);
    assert.equal(loader.decodedByteCount, 2 * 4 * 1024 * 1024);
    assert.ok(loader.peek(0), "the shown frame stays decoded");
    assert.ok(loader.peek(4), "the newest frame is kept");
    assert.equal(loader.peek(1), undefined);
    assert.equal(loader.peek(2), undefined);
  });

  it("refuses a non-image answer (e.g. a login page) with a readable error", async () => {
    const server = fakeServer({ contentType: "text/html" });
    const loader = new FrameLoader("/f/{n}", 5, { fetchImpl: server.fetchImpl, decode: server.decode });
    await assert.rejects(loader.get(0), (err: unknown) => err instanceof FrameLoadError && /text\/html/.test(err.message));
  });

  it("refuses frames outside the pullback without a request", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 5, { fetchImpl: server.fetchImpl, decode: server.decode });
    await assert.rejects(loader.get(5), FrameLoadError);
    assert.equal(server.requested.length, 0);
  });
});
