import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

/**
 * The on-demand Cornerstone3D code, one chunk per package group (fixed names), in the order
 * src/adapter/cornerstone/load.ts evaluates them, one per main-thread task: a module graph is
 * evaluated in one task, and all of it at once measured 0.12–0.13 s cold (bench/viewer.py
 * --breakdown), while each of these stays well under the 50 ms of a long task. Each chunk may
 * import only chunks before it (checked by cornerstoneChunksChecked below). cs-lib holds every
 * other package the library pulls in (gl-matrix, d3, comlink, …).
 *
 * `eager`: the chunk starts with V8's compile hint `//# allFunctionsCalledOnLoad`, so its
 * functions are compiled with it off the main thread (the chunks are modulepreloaded, hence
 * streamed) instead of one by one while it is evaluated: dcmjs (its DICOM dictionary) and the
 * metadata package (its display-set rules) call hundreds at load, a third of their evaluation
 * cold. Not the others: little of their code runs at load, and compiling all of it would only
 * take CPU from the page while it starts.
 */
const CORNERSTONE_CHUNKS: { name: string; test: RegExp; eager?: boolean }[] = [
  { name: "cs-lib", test: /\/node_modules\/(?!dcmjs\/|@cornerstonejs\/|@kitware\/|xmlbuilder2\/|@oozcitak\/|js-yaml\/)/ },
  { name: "cs-dcmjs", test: /\/node_modules\/dcmjs\//, eager: true },
  { name: "cs-metadata", test: /\/node_modules\/@cornerstonejs\/(?!core\/)/, eager: true },
  { name: "cs-vtk", test: /\/node_modules\/(@kitware\/vtk\.js|xmlbuilder2|@oozcitak\/[^/]+|js-yaml)\// },
  { name: "cs-core", test: /\/node_modules\/@cornerstonejs\/core\// },
];
// Rolldown's helpers (CommonJS wrappers) shared by the chunks above; it evaluates nothing.
const RUNTIME_CHUNK = "chunks/rolldown-runtime.js";

/**
 * Fails the build when the staged evaluation would silently stop working: a Cornerstone chunk
 * missing (a package renamed or dropped by an upgrade), importing a later one, or imported by
 * code the page runs before Cornerstone is wanted.
 */
function cornerstoneChunksChecked(): Plugin {
  return {
    name: "corelab:cornerstone-chunks",
    apply: "build",
    generateBundle(_options, bundle) {
      const file = (name: string) => `chunks/${name}.js`;
      const order = CORNERSTONE_CHUNKS.map((c) => file(c.name));
      for (const [i, name] of order.entries()) {
        const chunk = bundle[name];
        if (chunk?.type !== "chunk") this.error(`${name} was not emitted (vite.config.ts CORNERSTONE_CHUNKS)`);
        const late = chunk.imports.filter((dep) => dep !== RUNTIME_CHUNK && !order.slice(0, i).includes(dep));
        if (late.length) this.error(`${name} imports ${late.join(", ")}: not an earlier Cornerstone chunk`);
      }
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk" || order.includes(chunk.fileName) || chunk.fileName === "chunks/CornerstoneViewport.js") continue;
        const early = chunk.imports.filter((dep) => order.includes(dep));
        if (early.length) this.error(`${chunk.fileName} imports ${early.join(", ")} statically`);
      }
    },
  };
}

// Multi-entry build with fixed file names (no hashes): Django serves frontend/dist at the static
// prefix "viewer/" and its manifest storage adds the hashes (STYLE.md, "Frontend: build and serving").
// Entries are TypeScript modules, not HTML pages, so nothing else (index.html, preload polyfill)
// is emitted. Add a page by adding an entry here: dist/<name>.js (+ dist/<name>.css). A page's
// CSS must not be imported by another entry's JS (it would move into a shared CSS file): the
// adjudication page pulls read.css in through a CSS @import instead.
export default defineConfig(({ command }) => ({
  base: "./",
  plugins: [cornerstoneChunksChecked()],
  // The dev server serves modules, not these chunks: nothing to stage there.
  define: { __CORNERSTONE_CHUNKS__: JSON.stringify(command === "build" ? CORNERSTONE_CHUNKS.map((c) => c.name) : []) },
  publicDir: false,
  // The frame worker (src/viewer/frameWorker.ts): an ES module with a fixed name, served from
  // the same origin as the page (CSP worker-src 'self'), like the chunks.
  worker: {
    format: "es",
    rolldownOptions: { output: { entryFileNames: "workers/[name].js", chunkFileNames: "workers/[name].js" } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    modulePreload: false,
    // The Cornerstone3D chunk is ~2.9 MB (0.8 MB gzipped), loaded on demand (README).
    chunkSizeWarningLimit: 3500,
    rolldownOptions: {
      input: {
        read: resolve(import.meta.dirname, "src/entries/read.ts"),
        adjudicate: resolve(import.meta.dirname, "src/entries/adjudicate.ts"),
      },
      preserveEntrySignatures: false,
      output: {
        // Code both pages use goes into one chunk with a fixed name (chunks/viewer-core.js),
        // imported by read.js and adjudicate.js by relative URL; code of one page stays in its
        // entry. The Cornerstone3D chunk stays the separate on-demand chunk.
        codeSplitting: {
          groups: [
            ...CORNERSTONE_CHUNKS.map(({ name, test }) => ({ name, test, priority: 1 })),
            {
              name: (id: string) => (/\/src\/(?!adapter\/cornerstone\/|entries\/)/.test(id) || id.includes("preload-helper") ? "viewer-core" : null),
              minShareCount: 2,
            },
          ],
        },
        format: "es",
        postBanner: (chunk) => (CORNERSTONE_CHUNKS.some((c) => c.eager && c.name === chunk.name) ? "//# allFunctionsCalledOnLoad" : ""),
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
}));
