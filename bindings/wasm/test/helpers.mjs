// Shared by the tests: paths, the CLI binary, running it.
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repo = fileURLToPath(new URL("../../../", import.meta.url));
export const read = (path) => readFileSync(new URL(path, new URL("../../../", import.meta.url)), "utf8");

/** The `assay` binary built by cargo (make test-js passes ASSAY_BIN). */
export function assayBin() {
  const bin = process.env.ASSAY_BIN ?? `${repo}target/debug/assay`;
  if (!existsSync(bin)) {
    throw new Error(`no assay binary at ${bin}: build it with \`cargo build -p assay-cli\` or set ASSAY_BIN`);
  }
  return bin;
}

/** Runs the CLI; resolves with its exit code and output (a non-zero exit is not a failure). */
export function runAssay(args, { cwd = repo } = {}) {
  return new Promise((resolve, reject) => {
    execFile(assayBin(), args, { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

/**
 * The package's Node entry running the wasm build that ASSAY_JS_WASM names:
 * `node` (the default: the build for speed, which Node loads) or `web` (the
 * build for size, which browsers load), so one test can hold either to the CLI.
 */
export async function loadPackage() {
  const build = process.env.ASSAY_JS_WASM ?? "node";
  if (build === "node") return import("../pkg/node.js");
  if (build !== "web") throw new Error(`ASSAY_JS_WASM is \`node\` or \`web\`, not \`${build}\``);
  return loadBrowserBuild();
}

/** The package's Node entry on the browsers' wasm build (benches/js uses it too). */
export async function loadBrowserBuild() {
  // A copy of the package whose Node entry reads that build: its own module graph.
  const dir = mkdtempSync(join(tmpdir(), "assay-js-web-"));
  try {
    cpSync(fileURLToPath(new URL("../pkg/", import.meta.url)), dir, { recursive: true });
    copyFileSync(join(dir, "assay_wasm_web.wasm"), join(dir, "assay_wasm_bg.wasm"));
    return await import(pathToFileURL(join(dir, "node.js")).href);
  } finally {
    // The wasm is read when the entry is imported, so the copy is not needed after.
    rmSync(dir, { recursive: true, force: true });
  }
}
