import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAdjudicationBootstrap } from "../src/adjudication/bootstrap.js";
import { calciumSegmentsText, compareFrame, stentEdgesText } from "../src/adjudication/frameComparison.js";
import { documentsByLayer, LAYER_SPECS, layerLabel, layerOfRead, paneLayers, type LayerId } from "../src/adjudication/layers.js";
import {
  annotatedFrames,
  groupsMissingOwn,
  isEmptyDocument,
  OwnDraftKeeper,
  ownAnnotationsFieldValue,
  startOwnDocument,
  type DraftStorage,
} from "../src/adjudication/ownDocument.js";
import { pollUntilConsensus } from "../src/adjudication/decisionForm.js";
import { AnnotationAdapter } from "../src/adapter/annotations.js";
import { DocumentStore } from "../src/document/store.js";
import type { AnnotationDocument } from "../src/document/types.js";
import { LumenContourTool } from "../src/tools/LumenContourTool.js";
import { StrutTool } from "../src/tools/StrutTool.js";
import type { LayerStyle, ToolContext } from "../src/tools/tool.js";
import { BootstrapError } from "../src/ui/bootstrap.js";

const SQUARE: [number, number][] = [
  [100, 100],
  [200, 100],
  [200, 200],
  [100, 200],
];

function readerDoc(): AnnotationDocument {
  return {
    stent: { distal_frame: 4, proximal_frame: 20 },
    calcium_segments: [{ start_frame: 6, end_frame: 9 }],
    frames: { "7": { lumen: SQUARE.map((p) => [p[0], p[1]] as [number, number]), struts: [[150, 90]] } },
  };
}

class MapStorage implements DraftStorage {
  readonly items = new Map<string, string>();
  failWrites = false;
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.failWrites) throw new Error("QuotaExceededError");
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe("layers", () => {
  it("gives each reader a distinct colour-blind-safe colour and dash, and the adjudicator a third", () => {
    const colours = new Set(Object.values(LAYER_SPECS).map((s) => s.colour.toLowerCase()));
    assert.equal(colours.size, 3);
    // Okabe–Ito orange and sky blue for the two readers.
    assert.equal(LAYER_SPECS.reader1.colour, "#E69F00");
    assert.equal(LAYER_SPECS.reader2.colour, "#56B4E9");
    const dashes = new Set(Object.values(LAYER_SPECS).map((s) => JSON.stringify(s.dash)));
    assert.equal(dashes.size, 3, "redundant encoding: readers differ in dash pattern too");
  });

  it("maps the API's blinded labels to layers and ignores anything else", () => {
    assert.equal(layerOfRead("Reader 1"), "reader1");
    assert.equal(layerOfRead("Reader 2"), "reader2");
    assert.equal(layerOfRead("Adjudicator"), "own");
    assert.equal(layerOfRead("alice"), null);
    const docs = documentsByLayer([
      { label: "Reader 2", status: "submitted", annotations: { frames: { "1": { struts: [[1, 2]] } } }, metrics: null },
      { label: "Reader 1", status: "submitted", annotations: {}, metrics: null },
    ]);
    assert.deepEqual(docs.reader1, { frames: {} });
    assert.deepEqual(docs.reader2?.frames["1"]?.struts, [[1, 2]]);
    assert.equal(docs.own, undefined);
  });

  it("labels the third layer Adjudicator once resolved", () => {
    assert.equal(layerLabel("own", false), "My annotation");
    assert.equal(layerLabel("own", true), "Adjudicator");
    assert.equal(layerLabel("reader1", true), "Reader 1");
  });

  it("puts every visible layer in one pane for the overlay and one pane each side by side", () => {
    const visible = new Set<LayerId>(["reader2", "reader1"]);
    assert.deepEqual(paneLayers("overlay", visible), [["reader1", "reader2"]]);
    assert.deepEqual(paneLayers("side-by-side", visible), [["reader1"], ["reader2"]]);
    visible.add("own");
    assert.deepEqual(paneLayers("side-by-side", visible), [["reader1"], ["reader2"], ["own"]]);
    assert.deepEqual(paneLayers("side-by-side", new Set()), [[]], "the image stays on screen");
  });
});

describe("own document", () => {
  it("starts as a deep copy of a reader's document, never sharing arrays with it", () => {
    const readers = { reader1: readerDoc(), reader2: { frames: {} } };
    const own = startOwnDocument("reader1", readers);
    assert.deepEqual(own, readerDoc());
    own.frames["7"]!.lumen![0]![0] = 999;
    own.frames["7"]!.struts!.push([1, 1]);
    own.stent!.distal_frame = 0;
    assert.deepEqual(readers.reader1, readerDoc(), "the reader's original is unchanged");
  });

  it("starts empty on request or when the reader has no document", () => {
    assert.deepEqual(startOwnDocument("empty", { reader1: readerDoc() }), { frames: {} });
    assert.deepEqual(startOwnDocument("reader2", { reader1: readerDoc() }), { frames: {} });
  });

  it("knows an empty document, whatever empty lists it carries", () => {
    assert.equal(isEmptyDocument(null), true);
    assert.equal(isEmptyDocument({ frames: {} }), true);
    assert.equal(isEmptyDocument({ frames: { "3": { struts: [] } }, calcium_segments: [] }), true);
    assert.equal(isEmptyDocument({ frames: {}, stent: { distal_frame: 1, proximal_frame: 2 } }), false);
    assert.equal(isEmptyDocument(readerDoc()), false);
    assert.deepEqual(annotatedFrames({ frames: { "12": {}, "3": {}, x: {} } }), [3, 12]);
  });

  it("names the groups set to the adjudicator while nothing is drawn", () => {
    const sources = { lumen: "reader_a", calcium: "adjudicator", malapposition: "adjudicator" };
    assert.deepEqual(groupsMissingOwn(sources, null), ["calcium", "malapposition"]);
    assert.deepEqual(groupsMissingOwn(sources, { frames: {} }), ["calcium", "malapposition"]);
    assert.deepEqual(groupsMissingOwn(sources, readerDoc()), []);
    assert.deepEqual(groupsMissingOwn({ lumen: "reader_b" }, null), []);
  });

  it("fills the form's annotations field only when some group's source is the adjudicator", () => {
    assert.equal(ownAnnotationsFieldValue({ lumen: "reader_a" }, readerDoc()), "");
    const value = ownAnnotationsFieldValue({ lumen: "reader_a", calcium: "adjudicator" }, readerDoc());
    assert.deepEqual(JSON.parse(value), readerDoc());
    const pruned = ownAnnotationsFieldValue({ calcium: "adjudicator" }, { frames: { "1": { struts: [] }, "2": { struts: [[5, 5]] } } });
    assert.deepEqual(JSON.parse(pruned), { frames: { "2": { struts: [[5, 5]] } } });
  });

  it("keeps the draft in session storage per adjudication and survives a broken storage", () => {
    const storage = new MapStorage();
    const keeper = new OwnDraftKeeper(7, storage);
    assert.equal(keeper.key, "corelab.adjudication.7.own");
    assert.equal(keeper.load(), null);
    assert.equal(keeper.save({ origin: "reader2", annotations: readerDoc() }), true);
    assert.deepEqual(new OwnDraftKeeper(7, storage).load(), { origin: "reader2", annotations: readerDoc() });
    assert.equal(new OwnDraftKeeper(8, storage).load(), null, "another adjudication's draft is separate");
    storage.items.set(keeper.key, "{not json");
    assert.equal(keeper.load(), null);
    storage.failWrites = true;
    assert.equal(keeper.save({ origin: "empty", annotations: { frames: {} } }), false);
    keeper.clear();
    assert.equal(keeper.load(), null);
    assert.equal(new OwnDraftKeeper(1, null).save({ origin: "empty", annotations: { frames: {} } }), false);
  });
});

describe("frame comparison", () => {
  it("computes each document's frame metrics side by side and marks differences", () => {
    const wide: AnnotationDocument = {
      frames: {
        "7": {
          lumen: [
            [100, 100],
            [300, 100],
            [300, 200],
            [100, 200],
          ],
        },
      },
    };
    const rows = compareFrame([readerDoc().frames["7"], wide.frames["7"]], [0.01, 0.01], 100);
    assert.ok(rows);
    const area = rows.find((r) => r.key === "lumen_area")!;
    assert.deepEqual(area.values, ["1.00 mm²", "2.00 mm²"]);
    assert.equal(area.differs, true);
    const struts = rows.find((r) => r.key === "struts")!;
    assert.deepEqual(struts.values, ["1", "0"]);
    const calcium = rows.find((r) => r.key === "calcium_arc")!;
    assert.deepEqual(calcium.values, ["—", "—"]);
    assert.equal(calcium.differs, false);
  });

  it("refuses mm readouts without a pixel spacing", () => {
    assert.equal(compareFrame([undefined], null, 100), null);
  });

  it("describes stent edges and calcium segments", () => {
    assert.equal(stentEdgesText(readerDoc()), "5 → 21"); // frames count from 1 on screen
    assert.equal(calciumSegmentsText(readerDoc()), "7–10");
    assert.equal(stentEdgesText({ frames: {} }), "—");
    assert.equal(calciumSegmentsText({ frames: {} }), "—");
  });
});

describe("adjudication bootstrap", () => {
  const valid = {
    adjudication_id: 3,
    pullback_id: 2,
    api_base: "/api/v1",
    csrf_token: "t",
    read_only: false,
    frame_url_template: "/api/v1/pullbacks/2/frames/{n}",
  };

  it("accepts the page's fields and derives the batch and L-mode URLs", () => {
    const boot = parseAdjudicationBootstrap(JSON.stringify(valid));
    assert.equal(boot.adjudication_id, 3);
    assert.equal(boot.frames_batch_url_template, "/api/v1/pullbacks/2/frames/?start={start}&count={count}");
    assert.equal(boot.lmode_url_template, "/api/v1/pullbacks/2/lmode/?angle_deg={angle}");
    assert.equal(boot.strut_threshold_um, 100);
  });

  it("names the bad field", () => {
    assert.throws(
      () => parseAdjudicationBootstrap(JSON.stringify({ ...valid, adjudication_id: "3" })),
      (e: unknown) => e instanceof BootstrapError && /adjudication_id/.test(e.message),
    );
    assert.throws(() => parseAdjudicationBootstrap("[]"), /adjudication-bootstrap must be a JSON object/);
  });
});

describe("tools drawn as a layer", () => {
  /** Records the stroke colours and dashes a tool uses; every drawing call is a no-op. */
  function recordingContext(): { g: CanvasRenderingContext2D; strokes: Array<{ colour: unknown; dash: number[] }> } {
    const state: Record<string, unknown> = {};
    let dash: number[] = [];
    const strokes: Array<{ colour: unknown; dash: number[] }> = [];
    const g = new Proxy(state, {
      get(target, key) {
        if (key === "setLineDash") return (d: number[]) => (dash = [...d]);
        if (key === "stroke") return () => strokes.push({ colour: target["strokeStyle"], dash });
        if (key === "measureText") return () => ({ width: 10 });
        if (key in target) return target[key as string];
        return () => undefined;
      },
      set(target, key, value) {
        target[key as string] = value;
        return true;
      },
    }) as unknown as CanvasRenderingContext2D;
    return { g, strokes };
  }

  function context(layerStyle: LayerStyle | null): ToolContext {
    const identity = {
      screenToImage: (p: readonly [number, number]): [number, number] => [p[0], p[1]],
      imageToScreen: (p: readonly [number, number]): [number, number] => [p[0], p[1]],
      containsImagePoint: () => true,
    };
    return {
      coords: identity,
      annotations: new AnnotationAdapter(new DocumentStore(readerDoc(), 1, { readOnly: true })),
      currentFrame: () => 7,
      requestRender: () => undefined,
      notify: () => undefined,
      layerStyle,
    };
  }

  it("draw saved annotations in the layer's colour and dash instead of the tool's own", () => {
    const frame = readerDoc().frames["7"];
    const { g, strokes } = recordingContext();
    new LumenContourTool(context(LAYER_SPECS.reader2)).render(g, frame);
    new StrutTool(context(LAYER_SPECS.reader2)).render(g, frame);
    assert.ok(strokes.length >= 2);
    for (const s of strokes) assert.equal(s.colour, LAYER_SPECS.reader2.colour);
    assert.deepEqual(strokes[0]!.dash, [...LAYER_SPECS.reader2.dash]);
  });

  it("keep the reading page's colours without a layer style", () => {
    const { g, strokes } = recordingContext();
    new LumenContourTool(context(null)).render(g, readerDoc().frames["7"]);
    assert.equal(strokes[0]!.colour, "#f5c542");
    assert.deepEqual(strokes[0]!.dash, []);
  });
});

describe("waiting for the consensus", () => {
  it("polls until the pullback reaches consensus, then calls back once", async () => {
    const answers = ["adjudicating", "adjudicating", "consensus"];
    const timers: Array<() => void> = [];
    let done = 0;
    pollUntilConsensus(
      () => Promise.resolve(answers.shift() ?? "consensus"),
      () => done++,
      { setTimer: (fn) => timers.push(fn) },
    );
    for (let i = 0; i < 5 && timers.length; i++) {
      timers.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(done, 1);
    assert.equal(timers.length, 0, "no more polling after the consensus");
  });

  it("keeps trying after a failed request, and gives up after maxTries", async () => {
    const timers: Array<() => void> = [];
    let calls = 0;
    pollUntilConsensus(
      () => {
        calls++;
        return Promise.reject(new Error("offline"));
      },
      () => assert.fail("never done"),
      { setTimer: (fn) => timers.push(fn), maxTries: 3 },
    );
    for (let i = 0; i < 10 && timers.length; i++) {
      timers.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(calls, 3);
  });
});
