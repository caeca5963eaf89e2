// Two builds of the package side by side in one Node process (benches/README.md,
// "Built for speed"): each compiles the fixture policy once, both must give the
// same report, then rounds of keystroke `validate(text)` calls alternate between
// them, so a slow spell of a shared machine slows both sides of a round.
// Run: node ab.mjs BASE_PKG_DIR NEW_PKG_DIR [ROUNDS] [CALLS]
// (each directory a copy of bindings/wasm/pkg/ made by `make js`).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [baseDir, newDir, rounds = "15", calls = "2000"] = process.argv.slice(2);
if (!baseDir || !newDir) throw new Error("usage: node ab.mjs BASE_PKG_DIR NEW_PKG_DIR [ROUNDS] [CALLS]");
const load = async (dir) => (await import(pathToFileURL(resolve(dir, "node.js")).href)).Policy;
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const doc = fixture("ml-configmap.yaml");
const compile = (Policy) => Policy.fromYaml(fixture("ml-policy.yaml"), { file: "ml-policy.yaml" });
const [base, next] = [compile(await load(baseDir)), compile(await load(newDir))];

// Same report from both, keys in any order.
const canon = (v) =>
  JSON.stringify(v, (_, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
if (canon(base.validate(doc)) !== canon(next.validate(doc))) throw new Error("the two builds give different reports");

const n = Number(calls);
const time = (policy) => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) policy.validate(doc);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
};
for (let i = 0; i < 3; i++) time(base), time(next); // warm-up
const a = [];
const b = [];
for (let r = 0; r < Number(rounds); r++) {
  // Alternate which goes first.
  if (r % 2) a.push(time(base)), b.push(time(next));
  else b.push(time(next)), a.push(time(base));
}
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const line = (name, v) => `${name}: median ${median(v).toFixed(1)} µs, min ${Math.min(...v).toFixed(1)} µs`;
console.log(line("base", a));
console.log(line("new ", b));
console.log(`new/base: median ${(median(b) / median(a)).toFixed(3)}, min ${(Math.min(...b) / Math.min(...a)).toFixed(3)}`);
