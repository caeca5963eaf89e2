// The package as users get it: `npm pack`, installed from the tarball into a
// fresh project, imported by its name from Node, and type-checked by tsc
// against its declarations (which must catch a wrong use, so they are not `any`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL("..", import.meta.url));
const pkg = join(here, "pkg");
const tsc = join(here, "node_modules/.bin/tsc");
const project = mkdtempSync(join(tmpdir(), "assay-pack-"));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: project, encoding: "utf8", ...opts });
let packed;

before(() => {
  packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", project, pkg], { cwd: pkg }))[0];
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(project, packed.filename)]);
});

after(() => rmSync(project, { recursive: true, force: true }));

test("the tarball holds the wrapper, the glue, both wasm builds, the types and the README", () => {
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [
    "README.md",
    "assay_wasm.js",
    "assay_wasm_bg.wasm",
    "assay_wasm_web.wasm",
    "index.d.ts",
    "node.js",
    "package.json",
    "policy.js",
    "web.js",
  ]);
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
  assert.equal(manifest.name, "assay-policy");
  assert.equal(manifest.types, "./index.d.ts");
  assert.equal(manifest.exports["."].node, "./node.js");
  assert.equal(manifest.exports["."].browser, "./web.js");
});

test("installed from the tarball, `import { Policy } from \"assay-policy\"` works in Node", () => {
  writeFileSync(
    join(project, "main.mjs"),
    `import { Policy, PolicyError } from "assay-policy";
const policy = Policy.defaults();
const cm = "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: ml-pipeline-config}\\ndata:\\n  LOG_LEVEL: TRACE\\n";
const report = policy.validate(cm, { env: "production" });
let error;
try { Policy.fromYaml("apiVersion: assay.dev/v1\\nkind: ValidationPolicy\\nmetadata: {name: Bad Name}\\nspec: {}\\n"); }
catch (e) { error = { name: e.name, isPolicyError: e instanceof PolicyError, line: e.line }; }
policy.free();
console.log(JSON.stringify({ verdict: report.verdict, finding: report.results.flatMap((r) => r.findings)[0], error }));
`,
  );
  const out = JSON.parse(run(process.execPath, ["main.mjs"]));
  assert.equal(out.verdict, "fail");
  assert.equal(out.finding.path, "/data/LOG_LEVEL");
  assert.deepEqual([out.finding.line, out.finding.column], [5, 14]);
  assert.deepEqual(out.error, { name: "PolicyError", isPolicyError: true, line: 3 });
});

test("the browser entry loads the wasm from bytes when it cannot fetch it (as under a bundler)", () => {
  // Node has no fetch for file: URLs, so web.js's own load fails and says so;
  // init(bytes) then loads it, as a page does that serves the .wasm elsewhere.
  writeFileSync(
    join(project, "web.mjs"),
    `import { readFileSync } from "node:fs";
import { Policy, AssayError, init } from "./node_modules/assay-policy/web.js";
let before;
try { Policy.defaults(); } catch (e) { before = e instanceof AssayError && /did not load/.test(e.message) && /init/.test(e.hint); }
await init(readFileSync("node_modules/assay-policy/assay_wasm_bg.wasm"));
console.log(JSON.stringify({ before, verdict: Policy.defaults().validate("kind: ConfigMap\\n").verdict }));
`,
  );
  assert.deepEqual(JSON.parse(run(process.execPath, ["web.mjs"])), { before: true, verdict: "pass" });
});

test("TypeScript: a consumer type-checks under --strict, and misuse is a type error", () => {
  const compile = (name, source) => {
    writeFileSync(join(project, name), source);
    try {
      run(tsc, ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom", name]);
      return "";
    } catch (e) {
      return e.stdout || String(e);
    }
  };
  const ok = compile(
    "ok.ts",
    `import { Policy, PolicyError, InputError, type Report, type Finding, type Decision, type AdmissionReview } from "assay-policy";
const policy: Policy = Policy.fromYaml("...", { file: "p.yaml" });
const report: Report = policy.validate("kind: ConfigMap", { env: "production", old: { kind: "ConfigMap" } });
const first: Finding | undefined = report.results[0]?.findings[0];
const line: number | undefined = first?.line;
const verdict: "pass" | "warn" | "fail" = report.verdict;
const decision: Decision = policy.decide({ state: { weight: 10 }, metrics: { baseline: { requests: 1 }, candidate: { requests: 1 } } }, { policy: "canary" });
const action: "promote" | "advance" | "hold" | "rollback" = decision.decision;
const review: AdmissionReview = policy.review({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u" } });
const allowed: boolean | undefined = review.response?.allowed;
try { Policy.defaults(); } catch (e) {
  if (e instanceof PolicyError) { const l: number | null = e.line; const all = e.errors.map((x) => x.message); console.log(l, all); }
  if (e instanceof InputError) { const h: string | null = e.hint; console.log(h); }
}
policy.free();
console.log(line, verdict, action, allowed);
`,
  );
  assert.equal(ok, "", ok);
  const misuse = compile(
    "misuse.ts",
    `import { Policy } from "assay-policy";
const report = Policy.defaults().validate("x");
const n: number = report.verdict;
const s: string = report.results[0].findings[0].line;
Policy.defaults().decide({ metrics: {} });
Policy.defaults().decide({ state: { weight: 10 }, metrics: { candidate: { requests: 1 } } });
`,
  );
  assert.match(misuse, /misuse\.ts\(3,/);
  assert.match(misuse, /misuse\.ts\(4,/);
  assert.match(misuse, /misuse\.ts\(5,/);
  assert.match(misuse, /misuse\.ts\(6,/);
});
