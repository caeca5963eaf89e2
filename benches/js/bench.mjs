// Timing of the JS/wasm package (benches/README.md, "JavaScript package"):
//  1. the keystroke path: `validate` of the 2 KB ML ConfigMap from YAML text
//     (benches/fixtures/, as the criterion benches use), with the fixture
//     policy and with the built-in library;
//  2. schema-only work against ajv: one JSON Schema, compiled once by each,
//     validating the same object;
//  3. the keystroke path again on the browsers' wasm build (built for size;
//     1 and 2 run Node's, built for speed).
// Run: make js && (cd benches/js && npm ci && node bench.mjs)
import { readFileSync } from "node:fs";
import { Policy } from "../../bindings/wasm/pkg/node.js";
import Ajv from "ajv";
import { loadBrowserBuild } from "../../bindings/wasm/test/helpers.mjs";

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ITERATIONS = Number(process.env.ITERATIONS ?? 5000);

/** Median over ROUNDS of the mean time per call of ITERATIONS calls, in µs (after a warm-up). */
function time(f) {
  for (let i = 0; i < ITERATIONS; i++) f();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) f();
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}

console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
const row = (name, us, note = "") => {
  console.log(`| ${name} | ${us.toFixed(2)} µs ${note} |`);
};

// 1. Keystroke path.
const configMap = fixture("ml-configmap.yaml");
let start = process.hrtime.bigint();
const fixturePolicy = Policy.fromYaml(fixture("ml-policy.yaml"), { file: "ml-policy.yaml" });
console.log(`compile fixture policy (once): ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`);
start = process.hrtime.bigint();
const library = Policy.defaults();
console.log(`compile built-in library (once): ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`);
const verdict = fixturePolicy.validate(configMap).verdict;
if (verdict !== "pass") throw new Error(`the fixture should pass, got ${verdict}`);
row("validate(2 KB ConfigMap text), fixture policy", time(() => fixturePolicy.validate(configMap)));
row("validate(2 KB ConfigMap text), built-in library", time(() => library.validate(configMap)));
const broken = configMap.replace(/LOG_LEVEL: .*/, 'LOG_LEVEL: "TRACE"');
if (fixturePolicy.validate(broken).verdict !== "fail") throw new Error("the broken fixture should fail");
row("validate(2 KB ConfigMap text with a finding), fixture policy", time(() => fixturePolicy.validate(broken)));

// 2. Schema only, against ajv.
const dataSchema = {
  type: "object",
  properties: {
    PRELOAD_MODELS: { type: "string" },
    MODEL_AUTO_UPDATE: { type: "boolean" },
    MODEL_UPDATE_INTERVAL: { type: "integer", minimum: 1 },
    LOG_LEVEL: { enum: ["DEBUG", "INFO", "WARNING", "ERROR"] },
    API_WORKERS: { type: "integer", minimum: 1, maximum: 64 },
    BATCH_SIZE: { type: "integer", minimum: 1 },
    FEATURE_STORE_TTL: { type: "integer", minimum: 0 },
    MODEL_CACHE_SIZE: { type: "integer", minimum: 1, maximum: 100 },
    MLFLOW_TRACKING_URI: { type: "string" },
    FEATURE_STORE_HOST: { type: "string" },
    "config.yaml": { type: "string" },
  },
  additionalProperties: false,
};
const schemaPolicy = Policy.fromYaml(
  JSON.stringify({
    apiVersion: "assay.dev/v1",
    kind: "ValidationPolicy",
    metadata: { name: "schema-only" },
    spec: { match: { kinds: ["ConfigMap"] }, schema: { path: "/data", jsonSchema: dataSchema } },
  }),
);
// The fixture's data with typed values (no coercion: ajv would mutate the object).
const document = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "ml-pipeline-config", namespace: "ml-pipeline-prod" },
  data: {
    PRELOAD_MODELS: "fraud_detector:production,churn_model:v3,recsys:latest",
    MODEL_AUTO_UPDATE: true,
    MODEL_UPDATE_INTERVAL: 60,
    LOG_LEVEL: "INFO",
    API_WORKERS: 4,
    BATCH_SIZE: 1000,
    FEATURE_STORE_TTL: 3600,
    MODEL_CACHE_SIZE: 10,
    MLFLOW_TRACKING_URI: "http://mlflow.ml-platform.svc:5000",
    FEATURE_STORE_HOST: "feast.ml-platform.svc",
    "config.yaml": "log_level: info\n",
  },
};
const ajv = new Ajv({ allErrors: true });
const ajvValidate = ajv.compile(dataSchema);
if (!ajvValidate(document.data)) throw new Error(`ajv rejects the document: ${JSON.stringify(ajvValidate.errors)}`);
if (schemaPolicy.validate(document).verdict !== "pass") throw new Error("assay rejects the document");
const bad = { ...document, data: { ...document.data, LOG_LEVEL: "TRACE", API_WORKERS: 100 } };
if (ajvValidate(bad.data) || schemaPolicy.validate(bad).summary.errors !== 2) throw new Error("both must find 2 errors");

const ajvValid = time(() => ajvValidate(document.data));
const ajvInvalid = time(() => ajvValidate(bad.data));
const assayValid = time(() => schemaPolicy.validate(document));
const assayInvalid = time(() => schemaPolicy.validate(bad));
const documentText = JSON.stringify(document);
const assayText = time(() => schemaPolicy.validate(documentText));
row("schema only: ajv, valid object", ajvValid);
row("schema only: assay validate(object), valid", assayValid, `(${(assayValid / ajvValid).toFixed(0)}× ajv)`);
row("schema only: ajv, object with 2 errors (allErrors)", ajvInvalid);
row("schema only: assay validate(object), 2 errors", assayInvalid, `(${(assayInvalid / ajvInvalid).toFixed(0)}× ajv)`);
row("schema only: assay validate(JSON text of the object)", assayText);
row("call overhead: describe() (JSON in, JSON out, no work)", time(() => schemaPolicy.describe()));

// 3. The keystroke path on the browsers' build (last, so that loading a second
// wasm instance cannot disturb the figures above).
const web = await loadBrowserBuild();
const webPolicy = web.Policy.fromYaml(fixture("ml-policy.yaml"), { file: "ml-policy.yaml" });
if (JSON.stringify(webPolicy.validate(configMap)) !== JSON.stringify(fixturePolicy.validate(configMap))) {
  throw new Error("the two wasm builds give different reports");
}
row("validate(2 KB ConfigMap text), fixture policy, browsers' build", time(() => webPolicy.validate(configMap)));
