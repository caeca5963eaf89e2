// Builds the playground into dist/: the page, one esbuild bundle of
// src/main.js (CodeMirror 6 and the assay-policy package, imported by name
// as any bundler user would) and the package's browser .wasm beside it, which the
// package fetches relative to its module URL.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const dist = join(here, "dist");

// The examples menu: the built-in library and the seeds' configs, read at
// build time so the page needs no file server behind it.
function files(dir, ext) {
  return readdirSync(join(repo, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: f.slice(0, -ext.length), file: `${dir}/${f}`, text: readFileSync(join(repo, dir, f), "utf8") }));
}

// The library's policy files: those at the top of policies/ and in each
// pack's directory (policies/traffic/traffic.yaml), not the packs' tests/.
function libraryFiles() {
  return readdirSync(join(repo, "policies"), { recursive: true })
    .map((f) => f.split("\\").join("/"))
    .filter((f) => f.endsWith(".yaml") && !f.split("/").includes("tests"))
    .sort()
    .map((f) => ({
      name: basename(f, ".yaml"),
      file: `policies/${f}`,
      text: readFileSync(join(repo, "policies", f), "utf8"),
    }));
}

const examples = {
  name: "assay-examples",
  setup(build) {
    build.onResolve({ filter: /^assay:examples$/ }, (args) => ({ path: args.path, namespace: "assay-examples" }));
    build.onLoad({ filter: /.*/, namespace: "assay-examples" }, () => ({
      loader: "json",
      contents: JSON.stringify({
        policies: libraryFiles(),
        documents: files("examples/k8s", ".yaml"),
        rollouts: files("examples/rollout", ".json"),
      }),
    }));
  },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "src/main.js")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: join(dist, "main.js"),
  plugins: [examples],
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(dist, "index.html"));
copyFileSync(join(here, "style.css"), join(dist, "style.css"));
copyFileSync(join(here, "node_modules/assay-policy/assay_wasm_web.wasm"), join(dist, "assay_wasm_web.wasm"));
console.log(`built ${dist}`);
