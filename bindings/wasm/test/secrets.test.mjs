// No secret value in any report or error message the package gives: the
// labelled secrets of tests/secrets-corpus/ checked with the built-in
// library, and secrets planted where errors quote their input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { Policy, AssayError } from "../pkg/node.js";
import { read, repo } from "./helpers.mjs";

const TOKEN = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";

/** Follows a JSON pointer, into embedded YAML/JSON files where a string holds one. */
function resolve(docs, pointer) {
  let value = docs;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof value === "string") {
      try {
        value = parse(value);
      } catch {
        return value;
      }
    }
    if (value === null || typeof value !== "object" || !(key in value)) return value;
    value = value[key];
  }
  return value;
}

/** The parts of a secret value that must never be shown (a 4-character prefix may be). */
function secretParts(value) {
  if (typeof value !== "string") return [];
  const words = /\s/.test(value.trim()) ? value.split(/[\s"'=,;]+/) : [value.trim()];
  return words
    .filter((w) => w.length >= 16 && /[0-9]/.test(w) && /[A-Za-z]/.test(w))
    .flatMap((w) => {
      const parts = [w.slice(4)];
      // Secrets' data is base64: its decoded text must not show either.
      const decoded = Buffer.from(w, "base64").toString("utf8");
      if (/^[\x20-\x7e]{16,}$/.test(decoded)) parts.push(decoded.slice(4));
      return parts;
    });
}

const { positives } = parse(read("tests/secrets-corpus/labels.yaml"));

test("reports on the secrets corpus show no labelled secret value", () => {
  const policy = Policy.defaults();
  const files = readdirSync(join(repo, "tests/secrets-corpus")).filter((n) => n.endsWith(".yaml") && n !== "labels.yaml");
  let checked = 0;
  for (const file of files) {
    const text = read(`tests/secrets-corpus/${file}`);
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    const report = JSON.stringify(policy.validate(text, { file, env: "production" }));
    for (const label of positives.filter((p) => p.file === file)) {
      const values = docs.map((d) => resolve(d, label.path)).filter((v) => typeof v === "string");
      for (const part of values.flatMap(secretParts)) {
        checked++;
        assert.ok(!report.includes(part), `${file} ${label.path}: the report shows \`${part.slice(0, 4)}…\``);
      }
    }
  }
  // The corpus has dozens of labelled secrets; finding none would test nothing.
  assert.ok(checked >= 20, `only ${checked} secret values were found to look for`);
});

test("findings on a planted token name the rule but not the token", () => {
  const policy = Policy.defaults();
  const report = policy.validate(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  GITHUB_TOKEN: ${TOKEN}\n`);
  assert.equal(report.verdict, "fail");
  assert.ok(report.results.some((r) => r.findings.some((f) => f.rule === "secret-in-configmap")), JSON.stringify(report));
  assert.ok(!JSON.stringify(report).includes(TOKEN.slice(4)));
});

test("error messages do not echo a secret", () => {
  const thrownBy = (f) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof AssayError, String(e));
      return e;
    }
    assert.fail("expected an error");
  };
  const policy = Policy.defaults();
  const errors = [
    // A policy whose invalid name is a token: the message quotes the name.
    thrownBy(() => Policy.fromYaml(`apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: "${TOKEN}"}\nspec: {}\n`)),
    // An unknown field named by a token.
    thrownBy(() => Policy.fromYaml(`apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec: {${TOKEN}: 1}\n`)),
    // Rollout input with a token as a key and as a value.
    thrownBy(() => policy.decide({ state: { weight: 10 }, metrics: {}, [TOKEN]: 1 }, { policy: "fraud-v2-canary" })),
    thrownBy(() => policy.decide(`{"state": {"weight": "${TOKEN}"`, { policy: "fraud-v2-canary" })),
    // AdmissionReviews that quote what they reject.
    thrownBy(() => policy.review({ apiVersion: TOKEN, kind: "AdmissionReview" })),
    thrownBy(() => policy.review(`apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {uid: "${TOKEN}`)),
    // A request the call API cannot read.
    thrownBy(() => policy.validate("a: 1", { env: { [TOKEN]: TOKEN } })),
  ];
  for (const e of errors) {
    const shown = JSON.stringify({ message: e.message, hint: e.hint, errors: e.errors ?? null, file: e.file, rule: e.rule });
    assert.ok(!shown.includes(TOKEN.slice(4)), `${e.name}: ${shown}`);
  }
  // A report for input that does not parse quotes no token either.
  const report = JSON.stringify(policy.validate(`data: {key: "${TOKEN}\n`));
  assert.ok(report.includes('"parse"') && !report.includes(TOKEN.slice(4)), report);
});
