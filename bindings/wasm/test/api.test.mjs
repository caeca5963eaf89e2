// The package's API in Node: compiling, validating, deciding, errors with
// locations, freeing. Verdict equality with the CLI is differential.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Policy, AssayError, PolicyError, InputError } from "../pkg/node.js";
import { initSync } from "../pkg/assay_wasm.js";

const repo = new URL("../../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, repo), "utf8");

const ML_POLICY = `apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: ml}
spec:
  match: {kinds: [ConfigMap]}
  params: {floor: 10}
  environments:
    production: {params: {floor: 30}}
  schema:
    path: /data
    coerce: strings
    jsonSchema:
      type: object
      properties:
        LOG_LEVEL: {enum: [DEBUG, INFO, WARNING, ERROR]}
        INTERVAL: {type: integer}
  rules:
    - name: interval-floor
      expr: int(object.data.INTERVAL) >= params.floor
      when: has(object.data.INTERVAL)
      message: INTERVAL is below the floor
      path: /data/INTERVAL
    - name: no-shrinking
      expr: oldObject == null || int(object.data.INTERVAL) >= int(oldObject.data.INTERVAL)
      when: has(object.data.INTERVAL)
      path: /data/INTERVAL
      severity: warning
`;

const cm = (data) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n` +
  Object.entries(data).map(([k, v]) => `  ${k}: "${v}"\n`).join("");

test("a policy from YAML text validates text, with positions of the findings", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const report = policy.validate(cm({ LOG_LEVEL: "TRACE", INTERVAL: "60" }));
  assert.equal(report.verdict, "fail");
  assert.equal(report.version, 1);
  assert.deepEqual(report.summary, { documents: 1, checked: 1, errors: 1, warnings: 0 });
  const [finding] = report.results[0].findings;
  assert.equal(finding.rule, "schema");
  assert.equal(finding.path, "/data/LOG_LEVEL");
  assert.deepEqual([finding.line, finding.column], [5, 14]);
  assert.equal(report.results[0].policy, "ml");
  assert.equal(report.results[0].file, undefined);
  assert.equal(policy.validate(cm({ LOG_LEVEL: "INFO" })).verdict, "pass");
  policy.free();
});

test("a document given as an object is checked, without positions", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const doc = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { LOG_LEVEL: "TRACE" } };
  const report = policy.validate(doc);
  assert.equal(report.verdict, "fail");
  const [finding] = report.results[0].findings;
  assert.equal(finding.path, "/data/LOG_LEVEL");
  assert.equal(finding.line, undefined);
});

test("env selects the environment's params; old is seen as oldObject; file names results", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const text = cm({ INTERVAL: "20" });
  assert.equal(policy.validate(text).verdict, "pass");
  const production = policy.validate(text, { env: "production" });
  assert.equal(production.verdict, "fail");
  assert.equal(production.results[0].findings[0].rule, "interval-floor");
  const shrunk = policy.validate(text, { old: cm({ INTERVAL: "40" }), file: "k8s/cm.yaml" });
  assert.equal(shrunk.verdict, "warn");
  assert.equal(shrunk.results[0].findings[0].rule, "no-shrinking");
  assert.equal(shrunk.results[0].file, "k8s/cm.yaml");
  const asObject = policy.validate(text, { old: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { INTERVAL: "40" } } });
  assert.equal(asObject.verdict, "warn");
});

test("a stream of documents gives one result per document; a broken one is a parse finding", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const report = policy.validate(cm({ LOG_LEVEL: "INFO" }) + "---\n" + "data: [unclosed\n");
  assert.equal(report.summary.documents, 2);
  const parse = report.results.find((r) => r.findings.some((f) => f.rule === "parse"));
  assert.ok(parse, JSON.stringify(report));
  assert.equal(parse.document, 1);
  assert.equal(report.verdict, "fail");
});

test("bytes (a Buffer read from a file or a request body) are read as UTF-8, as the CLI reads a file", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const text = cm({ LOG_LEVEL: "TRACE", INTERVAL: "60" });
  const report = policy.validate(text, { file: "cm.yaml" });
  assert.deepEqual(policy.validate(Buffer.from(text), { file: "cm.yaml" }), report);
  assert.deepEqual(policy.validate(new TextEncoder().encode(text).buffer, { file: "cm.yaml" }), report);
  // Not UTF-8: a parse failure where the bad byte is (line 2, column 4), and the next document is still checked.
  const bad = Buffer.concat([Buffer.from("a: 1\nb: "), Buffer.from([0xff, 0xfe]), Buffer.from("\n---\n" + text)]);
  const broken = policy.validate(bad, { file: "cm.yaml" });
  assert.equal(broken.summary.documents, 2);
  const [parse] = broken.results[0].findings;
  assert.deepEqual([broken.results[0].file, parse.rule, parse.line, parse.column], ["cm.yaml", "parse", 2, 4]);
  assert.match(parse.message, /UTF-8/);
  assert.equal(broken.results[1].findings[0].rule, "schema");
  // Other inputs given as bytes are decoded, or refused when they are not UTF-8.
  const review = JSON.parse(read("examples/admission/configmap-denied.json"));
  const defaults = Policy.defaults();
  assert.deepEqual(defaults.review(Buffer.from(JSON.stringify(review))), defaults.review(review));
  const rollout = read("examples/rollout/fraud-v2-production.json");
  assert.deepEqual(defaults.decide(Buffer.from(rollout), { policy: "fraud-v2-canary" }), defaults.decide(rollout, { policy: "fraud-v2-canary" }));
  assert.throws(() => policy.validate(text, { old: Buffer.from([0x61, 0xff]) }), (e) => e instanceof InputError && /old is not valid UTF-8/.test(e.message));
  assert.throws(() => defaults.review(Buffer.from([0xc3])), (e) => e instanceof InputError && /not valid UTF-8/.test(e.message));
});

test("a policy set from several files, and describe", () => {
  const policy = Policy.fromYaml({
    "ml.yaml": ML_POLICY,
    "canary.yaml": read("policies/fraud-v2-canary.yaml"),
  });
  assert.deepEqual(
    policy.describe().map((p) => [p.name, p.kind, p.file, p.environments]),
    [["ml", "ValidationPolicy", "ml.yaml", ["production"]], ["fraud-v2-canary", "RolloutPolicy", "canary.yaml", ["production", "staging"]]],
  );
});

test("the built-in library checks the example manifests", () => {
  const policy = Policy.defaults();
  const names = policy.describe().map((p) => p.name);
  assert.ok(names.includes("ml-pipeline-config") && names.includes("secret-hygiene"), names.join());
  const good = policy.validate(read("examples/k8s/ml-pipeline-config.yaml"));
  assert.equal(good.verdict, "pass", JSON.stringify(good));
  const bad = policy.validate(read("examples/k8s/ml-pipeline-config.yaml").replace(/LOG_LEVEL: .*/, 'LOG_LEVEL: "LOUD"'));
  assert.equal(bad.verdict, "fail");
});

test("decide takes an object or its JSON text and gives assay decide's decision", () => {
  const policy = Policy.defaults();
  const text = read("examples/rollout/fraud-v2-production.json");
  const decision = policy.decide(JSON.parse(text), { policy: "fraud-v2-canary" });
  assert.ok(["promote", "advance", "hold", "rollback"].includes(decision.decision));
  assert.equal(decision.policy, "fraud-v2-canary");
  assert.ok(decision.checks.length > 0);
  assert.deepEqual(policy.decide(text, { policy: "fraud-v2-canary" }), decision);
});

test("NaN and infinities are no data in rollout metrics and refused in documents, as in Python", () => {
  const policy = Policy.defaults();
  for (const notANumber of [NaN, Infinity, -Infinity]) {
    const input = JSON.parse(read("examples/rollout/fraud-v2-production.json"));
    input.metrics.candidate.error_rate = notANumber;
    const decision = policy.decide(input, { policy: "fraud-v2-canary" });
    input.metrics.candidate.error_rate = null;
    assert.deepEqual(decision, policy.decide(input, { policy: "fraud-v2-canary" }));
    assert.equal(decision.decision, "hold");
    assert.equal(decision.checks.find((c) => c.name === "error-rate").result, "nodata");
    const doc = { apiVersion: "v1", kind: "ConfigMap", data: { x: notANumber } };
    for (const call of [() => policy.validate(doc), () => policy.validate("a: 1", { old: doc })]) {
      assert.throws(call, (e) => e instanceof InputError && /not a JSON number/.test(e.message));
    }
  }
});

test("a rollout input that cannot be decided on throws InputError", () => {
  const policy = Policy.defaults();
  assert.throws(
    () => policy.decide({ state: { weight: 10 } }, { policy: "fraud-v2-canary" }),
    (e) => e instanceof InputError && e instanceof AssayError && e instanceof Error && /metrics/.test(e.message) && e.hint !== null,
  );
  assert.throws(() => policy.decide({ state: { weight: 10 }, metrics: {} }), (e) => e instanceof InputError && /name one/.test(e.message));
  assert.throws(() => policy.decide("{not json", { policy: "fraud-v2-canary" }), (e) => e instanceof InputError && /not valid JSON/.test(e.message));
});

test("a broken policy throws PolicyError at its file, line, column and rule", () => {
  const broken = ML_POLICY.replace("int(object.data.INTERVAL) >= params.floor", "int(object.data.INTERVAL) >=");
  assert.throws(
    () => Policy.fromYaml(broken, { file: "ml.yaml" }),
    (e) => {
      assert.ok(e instanceof PolicyError && e instanceof AssayError);
      assert.equal(e.name, "PolicyError");
      assert.equal(e.file, "ml.yaml");
      assert.equal(e.line, 19);
      assert.equal(typeof e.column, "number");
      assert.equal(e.rule, "interval-floor");
      assert.match(e.message, /^ml\.yaml:19:\d+: /);
      assert.equal(e.errors.length, 1);
      return true;
    },
  );
});

test("an expression too deep to evaluate is a PolicyError, and the package keeps working", () => {
  // It used to pass compilation and then overflow wasm's stack on validate,
  // which left every policy of the process failing.
  const chain = ML_POLICY.replace("int(object.data.INTERVAL) >= params.floor", `int(object.data.INTERVAL)${" + 1".repeat(3000)} >= params.floor`);
  assert.throws(
    () => Policy.fromYaml(chain, { file: "ml.yaml" }),
    (e) => e instanceof PolicyError && e.line === 19 && e.rule === "interval-floor" && /more than 64 operators/.test(e.message),
  );
  assert.equal(Policy.fromYaml(ML_POLICY).validate(cm({ INTERVAL: "60" })).verdict, "pass");
});

test("every problem of a policy is reported; YAML that does not parse is located", () => {
  const two = ML_POLICY.replace("expr: int(object.data.INTERVAL) >= params.floor", "expr: '>='").replace(
    "expr: oldObject == null",
    "expr: oldObject ==",
  );
  assert.throws(() => Policy.fromYaml(two), (e) => e instanceof PolicyError && e.errors.length === 2 && e.message.split("\n").length === 2);
  assert.throws(
    () => Policy.fromYaml("apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: x\n"),
    (e) => e instanceof PolicyError && e.file === "policy.yaml" && e.line >= 3,
  );
  assert.throws(
    () => Policy.fromYaml("apiVersion: v1\nkind: ConfigMap\n"),
    (e) => e instanceof PolicyError && /no policies found/.test(e.message) && e.line === 1 && /apiVersion/.test(e.hint),
  );
});

test("wrong argument types are TypeErrors; bad options are InputErrors", () => {
  assert.throws(() => Policy.fromYaml(42), TypeError);
  assert.throws(() => Policy.fromYaml({ "a.yaml": 1 }), TypeError);
  assert.throws(() => new Policy(), TypeError);
  const policy = Policy.fromYaml(ML_POLICY);
  assert.throws(() => policy.validate("a: 1", { env: 7 }), (e) => e instanceof InputError && /bad request/.test(e.message));
  // Options given as null are no options; values JSON cannot hold are InputErrors, not raw TypeErrors.
  assert.equal(policy.validate(cm({ INTERVAL: "60" }), null).verdict, "pass");
  assert.equal(Policy.fromYaml(ML_POLICY, null).describe()[0].name, "ml");
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  let deep = {};
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  for (const doc of [cyclic, { n: 10n }, deep]) {
    assert.throws(() => policy.validate(doc), (e) => e instanceof InputError && /cannot be written as JSON/.test(e.message));
  }
});

test("a freed policy refuses calls; free twice is harmless", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  policy.free();
  policy.free();
  assert.throws(() => policy.validate("a: 1"), (e) => e instanceof AssayError && /freed/.test(e.message));
});

test("`using` frees the policy at the end of the block", () => {
  let kept;
  {
    const policy = Policy.fromYaml(ML_POLICY);
    kept = policy;
    policy[Symbol.dispose ?? Symbol.for("Symbol.dispose")]();
  }
  assert.throws(() => kept.describe(), /freed/);
});

test("many policies compiled and freed do not grow memory without bound", () => {
  // The compiled sets live in wasm memory; free() gives it back. The glue's
  // initSync hands back the running instance's exports, its memory included.
  const { memory } = initSync({ module: readFileSync(new URL("../pkg/assay_wasm_bg.wasm", import.meta.url)) });
  const text = read("policies/ml-pipeline-config.yaml");
  const rounds = () => {
    for (let i = 0; i < 200; i++) Policy.fromYaml(text).free();
  };
  rounds();
  let before = memory.buffer.byteLength;
  rounds();
  assert.ok(memory.buffer.byteLength - before < 1024 * 1024, `freed: grew by ${memory.buffer.byteLength - before} bytes`);
  // The same policies kept: the gauge does see them.
  before = memory.buffer.byteLength;
  const kept = Array.from({ length: 200 }, () => Policy.fromYaml(text));
  assert.ok(memory.buffer.byteLength - before >= 2 * 1024 * 1024, `kept: grew by ${memory.buffer.byteLength - before} bytes`);
  for (const p of kept) p.free();
});

test("the raw call API answers describe and errors", () => {
  const policy = Policy.fromYaml(ML_POLICY);
  const free = { max: 0, boundedBy: "schema" };
  const rules = [
    { name: "interval-floor", severity: "error", description: "INTERVAL is below the floor", estimatedCost: free },
    { name: "no-shrinking", severity: "warning", estimatedCost: free },
  ];
  assert.deepEqual(policy.call({ call: "describe" }), { policies: [{ name: "ml", kind: "ValidationPolicy", file: "policy.yaml", environments: ["production"], checks: ["schema", "rules"], rules }] });
  assert.match(policy.call({ call: "nope" }).error.message, /bad request/);
});
