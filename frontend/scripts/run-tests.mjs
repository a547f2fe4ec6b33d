// Compiles the unit tests (and the DOM-free sources they import) with tsc into
// node_modules/.cache/viewer-tests, then runs them with node's built-in test runner.
// Node 20 cannot strip TypeScript types itself; this keeps the test toolchain to tsc + node.
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "node_modules", ".cache", "viewer-tests");
rmSync(outDir, { recursive: true, force: true });

const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.test.json")], { stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const testDir = join(outDir, "tests");
const files = readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((name) => name.endsWith(".test.js"))
  .sort()
  .map((name) => join(testDir, name));
if (files.length === 0) {
  console.error("no compiled tests found in", testDir);
  process.exit(1);
}
const run = spawnSync(process.execPath, ["--enable-source-maps", "--test", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  cwd: root,
});
process.exit(run.status ?? 1);
