// Shared by the tests: paths, the CLI binary, running it.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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
