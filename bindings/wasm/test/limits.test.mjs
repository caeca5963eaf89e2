// `limits` (docs/limits.md, "Configuring limits"): the policy's, given to
// fromYaml/defaults, and a call's own in `options.limits`, over them. Going
// over a limit is a `limit` finding; a limit that sets nothing throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Policy, InputError } from "../pkg/node.js";

const UNIQUE = `apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: unique}
spec:
  rules:
    - name: unique
      when: has(object.l)
      expr: object.l.all(c, object.l.exists_one(d, d == c))
      path: /l
`;

const LIST = { l: Array.from({ length: 40 }, (_, i) => i) };
const STREAM = "a: 1\n---\nb: 2\n---\nc: 3\n";

const findings = (report) => report.results.flatMap((r) => r.findings.map((f) => ({ ...f, document: r.document })));

test("the defaults, and every limit by name", () => {
  const policy = Policy.fromYaml(UNIQUE);
  assert.deepEqual(policy.limits, {
    depth: 128,
    values: 1000000,
    "document-bytes": 64 * 2 ** 20,
    documents: 100000,
    "cel-cost": 10000000,
    "file-bytes": 64 * 2 ** 20,
    "run-bytes": 2 ** 30,
    "module-time": 10,
    "module-memory": 512 * 2 ** 20,
  });
  assert.equal(policy.validate(LIST).verdict, "pass");
  assert.equal(findings(policy.validate(STREAM)).length, 0);
});

test("a policy's limits apply to every call, and a call's own go over them", () => {
  const policy = Policy.fromYaml(UNIQUE, { limits: { celCost: 500, documents: "2" } });
  assert.equal(policy.limits["cel-cost"], 500);
  const [stopped] = findings(policy.validate(LIST));
  assert.equal(stopped.rule, "unique");
  assert.match(stopped.message, /CEL cost budget of 500 \(limit `cel-cost`/);
  const [past] = findings(policy.validate(STREAM, { file: "s.yaml" }));
  assert.deepEqual([past.rule, past.line, past.document], ["limit", 5, 2]);
  assert.match(past.message, /^more than 2 documents in this stream; this one and the rest are not checked \(limit `documents`; raise it/);
  // A call's own limits, over the policy's.
  assert.equal(policy.validate(LIST, { limits: { "cel-cost": 10000000 } }).verdict, "pass");
  assert.equal(findings(policy.validate(STREAM, { limits: { documents: 3 } })).length, 0);
  // Bytes, patches and reviews too.
  assert.equal(findings(policy.validate(new TextEncoder().encode(STREAM)))[0].rule, "limit");
  const deep = "a: {b: {c: {d: 1}}}\n";
  const patched = policy.validatePatch("x: 1\n", deep, { patchType: "merge", limits: { depth: 3 } });
  assert.match(findings(patched)[0].message, /nesting deeper than 3 levels \(limit `depth`/);
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "u", object: LIST },
  };
  assert.equal(policy.review(review).response.allowed, false);
  assert.equal(policy.review(review, { limits: { "cel-cost": 10000000 } }).response.allowed, true);
});

test("the built-in library takes limits too", () => {
  const library = Policy.defaults({ limits: { depth: 4 } });
  const report = library.validate("a: {b: {c: {d: {e: 1}}}}\n---\nkind: ConfigMap\n");
  assert.equal(findings(report)[0].rule, "limit");
  assert.equal(report.summary.documents, 2);
  library.free();
});

test("a limit that sets nothing throws InputError naming the limits", () => {
  for (const [limits, says] of [
    [{ cpu: 1 }, /unknown limit `cpu`; the limits are depth, values, document-bytes, documents, cel-cost/],
    [{ depth: 5000 }, /above its ceiling of 1000/],
    [{ documents: "lots" }, /limit `documents`: `lots` is not a whole number/],
    [{ "module-time": true }, /limit `module-time`: `true` is not a time/],
  ]) {
    assert.throws(() => Policy.fromYaml(UNIQUE, { limits }), (e) => e instanceof InputError && says.test(e.message));
    const policy = Policy.fromYaml(UNIQUE);
    assert.throws(() => policy.validate(LIST, { limits }), (e) => e instanceof InputError && says.test(e.message));
  }
  assert.throws(() => Policy.fromYaml(UNIQUE, { limits: [1] }), TypeError);
  assert.throws(() => Policy.fromYaml(UNIQUE).validate(LIST, { limits: "documents=1" }), TypeError);
});

test("a document as deep as the depth ceiling is checked without running out of stack", () => {
  let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n";
  for (let i = 1; i < 999; i++) text += `${"  ".repeat(i)}k${i}:\n`;
  text += `${"  ".repeat(999)}leaf: x\n`;
  const WHOLE = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: whole}\nspec:\n  rules:\n    - {name: whole, expr: 'object == object'}\n";
  const whole = Policy.fromYaml(WHOLE, { limits: { depth: 1000 } });
  assert.equal(whole.validate(text).verdict, "pass");
  assert.equal(findings(Policy.fromYaml(UNIQUE).validate(text))[0].rule, "limit");
});
