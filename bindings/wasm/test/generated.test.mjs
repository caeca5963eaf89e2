// Generated cases through the package: the same answers as native
// evaluation. The corpus is drawn with a fixed seed by the tests crate's
// `examples/gen_differential.rs` from the strategies of tests/src/generated/
// (policies from a grammar of schema fragments and CEL rules, some broken;
// Kubernetes-like documents as YAML, JSON or dotenv text; environments;
// previous versions) and holds native evaluation's answers to each case:
// the input as text, its one document as a value, the previous versions as
// values, the AdmissionReview of its first document, or the policy's
// errors. `make test-js` writes it and passes its path as
// ASSAY_DIFF_CORPUS; without that, the test reads
// target/differential-corpus.json and is skipped when it is not there.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPackage, repo, runAssay } from "./helpers.mjs";

const { Policy, PolicyError, InputError } = await loadPackage();

const given = process.env.ASSAY_DIFF_CORPUS;
const path = given ?? `${process.env.CARGO_TARGET_DIR ?? `${repo}target`}/differential-corpus.json`;
// Missing when ASSAY_DIFF_CORPUS names it is a failure, not a skip.
const cases = given || existsSync(path) ? JSON.parse(readFileSync(path, "utf8")).cases : null;

const FIELDS = ["file", "line", "column", "message", "rule", "hint"];
const problems = (errors) => errors.map((p) => Object.fromEntries(FIELDS.map((k) => [k, p[k] ?? null])));

/** The problems as the CLI prints them, one line each. */
const printed = (errors) =>
  errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`).join("\n");

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

describe("generated cases (examples/gen_differential.rs)", { skip: cases ? false : `no corpus at ${path}: make test-js writes it` }, () => {
  for (const c of cases ?? []) {
    it(c.name, () => {
      const expected = c.expected;
      const file = c.policy.file;
      if (expected.error) {
        assert.throws(
          () => Policy.fromYaml(c.policy.text, { file }),
          (e) => {
            assert.ok(e instanceof PolicyError, `not a PolicyError: ${e}`);
            assert.deepEqual(problems(e.errors), problems(expected.error.errors));
            // As the call API says it; the CLI and Python add each hint
            // (see the test below).
            assert.equal(e.message, expected.error.message);
            return true;
          },
        );
        return;
      }
      const policy = Policy.fromYaml(c.policy.text, { file });
      try {
        const options = { env: c.env, old: c.old ?? undefined, file: c.input.file, oldFile: c.oldFile };
        assert.deepEqual(policy.validate(c.input.text, options), expected.report);
        // One document as an object, when JSON.parse read it exactly.
        if (isObject(c.value) && c.valueExactInJs) {
          const report = policy.validate(c.value, { env: c.env, old: c.old ?? undefined, oldFile: c.oldFile });
          assert.deepEqual(report, c.expectedValue.report);
        }
        // The previous versions as objects rather than text.
        if (c.oldValues && c.oldValuesExactInJs) {
          const report = policy.validate(c.input.text, { env: c.env, old: c.oldValues, file: c.input.file });
          assert.deepEqual(report, c.expectedOldValues.report);
        }
        // The AdmissionReview of the first document.
        if (c.review) {
          const review = () => policy.review(c.review.text, { env: c.env, file: c.review.file });
          if (c.expectedReview.error) {
            assert.throws(review, (e) => {
              assert.ok(e instanceof InputError, `not an InputError: ${e}`);
              assert.equal(e.message, c.expectedReview.error.message);
              return true;
            });
          } else {
            assert.deepEqual(review(), c.expectedReview.review);
          }
        }
      } finally {
        policy.free();
      }
    });
  }
});

// Found by the generated cases: docs/js.md says a PolicyError's `message`
// has one line per problem "as the CLI prints them", and the CLI (and
// Python's `str(PolicyError)`) end each line with `(hint: …)`; the
// package's message leaves the hints out.
it("a PolicyError's message is what the CLI prints, hints included", async () => {
  const text = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: Bad_Name}\nspec:\n  rules:\n    - {name: r, expr: 'object.x >'}\n";
  const dir = mkdtempSync(join(tmpdir(), "assay-js-gen-"));
  try {
    writeFileSync(join(dir, "policy.yaml"), text);
    writeFileSync(join(dir, "input.yaml"), "kind: ConfigMap\n");
    const cli = await runAssay(["check", "-p", "policy.yaml", "input.yaml"], { cwd: dir });
    assert.equal(cli.code, 2);
    assert.throws(
      () => Policy.fromYaml(text, { file: "policy.yaml" }),
      (e) => {
        assert.ok(e instanceof PolicyError);
        assert.equal(e.message, printed(e.errors));
        assert.equal(e.message, cli.stderr.trim());
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
