import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fetchFirstFrame, FrameLoader, FrameLoadError, frameUrl, type WorkerLike } from "../src/viewer/frameLoader.js";
import type { PageMessage, WorkerMessage } from "../src/viewer/frameProtocol.js";
import { deferred, settle } from "./helpers.js";

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

describe("fetchFirstFrame", () => {
  it("asks for frame 0 only once the poster has settled, loaded or failed", async () => {
    for (const outcome of ["loaded", "failed"] as const) {
      const server = fakeServer();
      const poster = deferred<void>();
      const first = fetchFirstFrame("/f/{n}", server.fetchImpl as typeof fetch, poster.promise);
      await settle();
      assert.deepEqual(server.requested, []);
      if (outcome === "loaded") poster.resolve();
      else poster.reject(new Error("poster failed"));
      const blob = await first;
      assert.deepEqual(server.requested, ["/f/0"]);
      assert.equal(blob?.size, 3);
    }
  });

  it("gives null for a response that is not an image", async () => {
    const server = fakeServer({ contentType: "application/json" });
    assert.equal(await fetchFirstFrame("/f/{n}", server.fetchImpl as typeof fetch), null);
  });
});

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

  it("asks for whole aligned blocks of the batch size, whatever frame has the focus", async () => {
    // Every viewer asks for the same blocks, so the reverse proxy can send each as a file.
    const requested: string[] = [];
    const fetchImpl = async (url: string) => {
      requested.push(url);
      const m = /start=(\d+)&count=(\d+)/.exec(url);
      if (!m) return new Response(new Uint8Array([1]), { headers: { "Content-Type": "image/jpeg" } });
      const start = Number(m[1]);
      const parts: number[] = [];
      for (let i = start; i < Math.min(start + Number(m[2]), 20); i++) parts.push(0, 0, 0, i, 0, 0, 0, 1, 7);
      return new Response(new Uint8Array(parts), { headers: { "X-Frame-Content-Type": "image/jpeg" } });
    };
    const decode = async (blob: Blob) => ({ size: blob.size }) as unknown as ImageBitmap;
    const loader = new FrameLoader("/f/{n}", 20, { batchUrlTemplate: "/b?start={start}&count={count}", batchSize: 8, fetchImpl, decode });
    loader.setFocus(11);
    loader.startPrefetch();
    while (loader.loadedCount < 20) await settle();
    const batches = requested.filter((u) => u.startsWith("/b")).sort();
    assert.deepEqual(batches, ["/b?start=0&count=8", "/b?start=16&count=8", "/b?start=8&count=8"]);
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

  it("serves a frame the reader goes to before the background queue, in a place of the pool", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 40, { concurrency: 2, fetchImpl: server.fetchImpl, decode: server.decode });
    loader.setFocus(0);
    loader.startPrefetch();
    assert.deepEqual(server.requested, ["/f/0", "/f/1"]);
    const far = loader.get(30);
    assert.equal(server.requested[2], "/f/30", "requested at once, not after the queue");
    await far;
    while (loader.loadedCount < 40) await settle();
    assert.ok(server.maxInFlight() <= 3, `max in flight ${server.maxInFlight()}`);
  });

  it("prefetches nearest to the shown frame first, in both directions, and follows a new focus", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 30, { concurrency: 1, fetchImpl: server.fetchImpl, decode: server.decode });
    loader.setFocus(10);
    loader.startPrefetch();
    while (server.requested.length < 7) await settle();
    const first = server.requested.slice(0, 7).map((u) => Number(u.split("/").pop()));
    assert.deepEqual(first, [10, 9, 11, 8, 12, 7, 13]);
    loader.setFocus(25);
    const before = server.requested.length;
    while (server.requested.length < before + 4) await settle();
    const next = server.requested.slice(before, before + 3).map((u) => Number(u.split("/").pop()));
    assert.deepEqual(next, [25, 24, 26], "the queue turned to the new focus");
    while (loader.loadedCount < 30) await settle();
    assert.equal(new Set(server.requested).size, 30, "each frame once");
  });

  it("decodes ahead of the scrubbing direction, nearest first, a few behind", async () => {
    const loader = new FrameLoader("/f/{n}", 40, { decodeAhead: 8, fetchImpl: fakeServer().fetchImpl, decode: fakeServer().decode });
    loader.setFocus(9);
    loader.setFocus(10);
    assert.deepEqual(loader.lookAhead(), [11, 9, 12, 8, 13, 14, 15, 16, 17, 18]);
    loader.setFocus(9);
    assert.deepEqual(loader.lookAhead(), [8, 10, 7, 11, 6, 5, 4, 3, 2, 1]);
    loader.setFocus(39);
    assert.deepEqual(loader.lookAhead(), [38, 37], "nothing past the last frame; the two behind");
  });

  it("runs the look-ahead decodes once the bytes are here, nearest first, two at a time", async () => {
    const server = fakeServer();
    const decodedOrder: number[] = [];
    let active = 0;
    let maxActive = 0;
    const decode = async (blob: Blob) => {
      active++;
      maxActive = Math.max(maxActive, active);
      decodedOrder.push(Number(await blob.text()));
      await settle();
      active--;
      return { width: 4, height: 4 } as unknown as ImageBitmap;
    };
    const fetchImpl = async (url: string) => {
      server.requested.push(url);
      return new Response(url.split("/").pop(), { headers: { "Content-Type": "image/jpeg" } });
    };
    const loader = new FrameLoader("/f/{n}", 30, { decodeAhead: 4, fetchImpl, decode });
    loader.startPrefetch();
    while (loader.loadedCount < 30) await settle();
    decodedOrder.length = 0;
    loader.setFocus(20);
    await loader.get(20);
    for (let i = 0; i < 20; i++) await settle();
    assert.deepEqual(decodedOrder.slice(0, 5).sort(), ["20", "21", "19", "22", "23"].map(Number).sort());
    assert.equal(decodedOrder[0], 20, "the shown frame first");
    assert.ok(maxActive <= 3, `decodes at once ${maxActive}`); // the shown frame + two look-ahead
    for (const n of [21, 19, 22, 23]) assert.ok(loader.peek(n), `frame ${n} decoded ahead`);
    assert.equal(loader.peek(25), undefined, "nothing past the look-ahead");
  });

  it("sizes the look-ahead to the memory budget (no decode evicts another look-ahead frame)", async () => {
    const server = fakeServer();
    const decode = async () => ({ width: 1024, height: 1024 }) as unknown as ImageBitmap;
    const loader = new FrameLoader("/f/{n}", 30, { decodeAhead: 8, fetchImpl: server.fetchImpl, decode, decodedBudgetBytes: 13 * 1024 * 1024 });
    loader.startPrefetch();
    while (loader.loadedCount < 30) await settle();
    loader.setFocus(5);
    await loader.get(5);
    for (let i = 0; i < 20; i++) await settle();
    // 13 MiB hold three 4 MiB frames: the shown one and two ahead.
    assert.deepEqual(loader.lookAhead(), [6, 7]);
    assert.ok(loader.decodedByteCount <= 13 * 1024 * 1024);
    assert.ok(loader.peek(5) && loader.peek(6) && loader.peek(7));
  });

  it("batches progress: one report per batch of arrivals, not one per frame", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 60, { concurrency: 6, fetchImpl: server.fetchImpl, decode: server.decode });
    let reports = 0;
    let cached = 0;
    loader.onProgress = () => reports++;
    loader.onFrameCached = () => cached++;
    loader.startPrefetch();
    while (loader.loadedCount < 60) await settle();
    assert.equal(cached, 60, "every frame announced once");
    assert.ok(reports < 60 / 2, `${reports} progress reports for 60 frames`);
  });

  it("resolves complete once every frame's bytes are in, and not while one is missing", async () => {
    const server = fakeServer();
    let refuse = true;
    const fetchImpl = async (url: string) => {
      if (refuse && url === "/f/7") return new Response("gone", { status: 503 });
      return server.fetchImpl(url);
    };
    const loader = new FrameLoader("/f/{n}", 12, { concurrency: 3, fetchImpl, decode: server.decode });
    let complete = false;
    void loader.complete.then(() => (complete = true));
    loader.startPrefetch();
    while (loader.loadedCount < 11) await settle();
    await new Promise((resolve) => setTimeout(resolve, 40)); // past a batch's wait (BATCH_MS)
    assert.equal(loader.loadedCount, 11, "every frame but the refused one");
    assert.equal(complete, false, "not complete with frame 7 missing");
    refuse = false;
    await loader.get(7);
    await settle();
    assert.equal(complete, true);
  });

  it("takes frame 0 fetched before the loader existed, without downloading it again", async () => {
    const server = fakeServer();
    const loader = new FrameLoader("/f/{n}", 5, { fetchImpl: server.fetchImpl, decode: server.decode });
    const early = deferred<Blob | null>();
    loader.adopt(0, early.promise);
    const shown = loader.get(0);
    await settle();
    assert.equal(server.requested.length, 0, "waits for the early fetch");
    early.resolve(new Blob([new Uint8Array([9])], { type: "image/jpeg" }));
    await shown;
    assert.equal(loader.loadedCount, 1);
    assert.equal(server.requested.length, 0);

    const other = new FrameLoader("/f/{n}", 5, { fetchImpl: server.fetchImpl, decode: server.decode });
    other.adopt(0, Promise.resolve(null));
    await other.get(0);
    assert.deepEqual(server.requested, ["/f/0"], "a failed early fetch is downloaded after all");
  });
});

/** A Worker stand-in: records what the page posts; the test answers for the worker. */
class FakeWorker implements WorkerLike {
  readonly posted: PageMessage[] = [];
  terminated = false;
  private readonly listeners = new Map<string, Array<(ev: never) => void>>();
  onPost: (m: PageMessage) => void = () => {};

  postMessage(message: PageMessage): void {
    this.posted.push(message);
    this.onPost(message);
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  terminate(): void {
    this.terminated = true;
  }

  reply(message: WorkerMessage): void {
    for (const l of this.listeners.get("message") ?? []) l({ data: message } as never);
  }

  fail(): void {
    for (const l of this.listeners.get("error") ?? []) l(new Event("error") as never);
  }
}

const jpeg = (n: number) => new Blob([String(n)], { type: "image/jpeg" });

describe("FrameLoader with the frame worker", () => {
  it("hands downloads and decodes to the worker; its batches reach the page in one progress report each", async () => {
    const worker = new FakeWorker();
    const loader = new FrameLoader("/f/{n}", 10, { worker: () => worker, decodedBudgetBytes: 1 << 30 });
    assert.equal(loader.decoderKind, "worker");
    assert.deepEqual(worker.posted[0], { t: "init", template: "/f/{n}", frameCount: 10, concurrency: 6, batchUrlTemplate: null, batchSize: 64 });
    let reports = 0;
    loader.onProgress = () => reports++;
    loader.startPrefetch();
    assert.deepEqual(worker.posted.at(-1), { t: "start" });
    worker.reply({ t: "frames", frames: [0, 1, 2, 3, 4].map((n) => [n, jpeg(n)] as [number, Blob]), failed: [[7, "frame 7: HTTP 500"]] });
    assert.equal(reports, 1);
    assert.equal(loader.loadedCount, 5);
    // A failed frame is asked for again when the reader goes to it.
    void loader.blob(7).catch(() => undefined);
    assert.deepEqual(worker.posted.at(-1), { t: "want", n: 7 });
    worker.reply({ t: "ready" });
    worker.onPost = (m) => {
      if (m.t === "decode") worker.reply({ t: "decoded", id: m.id, bitmap: { width: 2, height: 2, frame: m.kind } as unknown as ImageBitmap });
    };
    const bitmap = await loader.get(3);
    assert.equal((bitmap as unknown as { width: number }).width, 2);
    assert.ok(worker.posted.some((m) => m.t === "decode" && m.kind === "bitmap"));
  });

  it("asks the worker for a frame the reader goes to and rejects with the worker's reason", async () => {
    const worker = new FakeWorker();
    const loader = new FrameLoader("/f/{n}", 10, { worker: () => worker });
    const shown = loader.blob(6);
    assert.deepEqual(worker.posted.at(-1), { t: "want", n: 6 });
    worker.reply({ t: "frames", frames: [], failed: [[6, "frame 6: HTTP 404"]] });
    await assert.rejects(shown, (err: unknown) => err instanceof FrameLoadError && err.frame === 6 && /404/.test(err.message));
  });

  it("decodes on the page's thread until the worker has started, and when it cannot decode a kind", async () => {
    const worker = new FakeWorker();
    const here: string[] = [];
    const loader = new FrameLoader("/f/{n}", 4, {
      worker: () => worker,
      decodeAhead: 0,
      decode: async () => {
        here.push("bitmap");
        return { width: 1, height: 1 } as unknown as ImageBitmap;
      },
      decodeGrey: async () => {
        here.push("grey");
        return { pixels: new Uint8Array(1), width: 1, height: 1 };
      },
    });
    worker.reply({ t: "frames", frames: [0, 1, 2].map((n) => [n, jpeg(n)] as [number, Blob]), failed: [] });
    await loader.get(0);
    assert.deepEqual(here, ["bitmap"], "before 'ready' the first frame never waits for the worker");
    worker.reply({ t: "ready" });
    worker.onPost = (m) => {
      if (m.t === "decode") worker.reply({ t: "decoded", id: m.id, unsupported: true });
    };
    await loader.grey(1);
    assert.deepEqual(here, ["bitmap", "grey"]);
  });

  it("falls back to the page's thread when the worker cannot start, and when it fails later", async () => {
    const server = fakeServer();
    const throwing = new FrameLoader("/f/{n}", 3, {
      worker: () => {
        throw new Error("blocked by CSP");
      },
      fetchImpl: server.fetchImpl,
      decode: server.decode,
    });
    assert.equal(throwing.decoderKind, "main");
    await throwing.get(2);
    assert.deepEqual(server.requested, ["/f/2"]);

    const none = new FrameLoader("/f/{n}", 3, { worker: () => null, fetchImpl: server.fetchImpl, decode: server.decode });
    assert.equal(none.decoderKind, "main");

    // Without Worker in this runtime (node), the default is this thread too.
    assert.equal(typeof (globalThis as { Worker?: unknown }).Worker, "undefined");
    assert.equal(new FrameLoader("/f/{n}", 3).decoderKind, "main");

    const worker = new FakeWorker();
    const later = new FrameLoader("/f/{n}", 6, { worker: () => worker, fetchImpl: server.fetchImpl, decode: server.decode });
    worker.reply({ t: "frames", frames: [[0, jpeg(0)]], failed: [] });
    later.startPrefetch();
    const waiting = later.get(4);
    server.requested.length = 0;
    worker.fail();
    assert.ok(worker.terminated);
    assert.equal(later.decoderKind, "main");
    await waiting;
    while (later.loadedCount < 6) await settle();
    assert.ok(!server.requested.includes("/f/0"), "frames the worker delivered are not downloaded again");
    assert.equal(server.requested.filter((u) => u === "/f/4").length, 1);
  });
});
