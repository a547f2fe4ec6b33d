import { resolve } from "node:path";
import { defineConfig } from "vite";

// Multi-entry build with fixed file names (no hashes): Django serves frontend/dist at the static
// prefix "viewer/" and its manifest storage adds the hashes (STYLE.md, "Frontend: build and serving").
// Entries are TypeScript modules, not HTML pages, so nothing else (index.html, preload polyfill)
// is emitted. Add a page by adding an entry here: dist/<name>.js (+ dist/<name>.css). A page's
// CSS must not be imported by another entry's JS (it would move into a shared CSS file): the
// adjudication page pulls read.css in through a CSS @import instead.
export default defineConfig({
  base: "./",
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
            {
              name: (id: string) => (/\/src\/(?!adapter\/cornerstone\/|entries\/)/.test(id) || id.includes("preload-helper") ? "viewer-core" : null),
              minShareCount: 2,
            },
          ],
        },
        format: "es",
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
});
