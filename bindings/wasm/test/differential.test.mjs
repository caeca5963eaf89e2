// The package answers exactly as the CLI: for every case of the built-in
// library's tests (policies/tests/), every case of tests/cases/, and every
// example manifest, rollout input and AdmissionReview, the report, decision
// or review from the package equals `assay check|decide|review -o json` on
// the same input, and an input the CLI refuses is an InputError with the
// CLI's message.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { loadPackage, read, repo, runAssay } from "./helpers.mjs";

const { Policy, InputError, PolicyError } = await loadPackage();

const scratch = mkdtempSync(join(tmpdir(), "assay-js-diff-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let serial = 0;

/** A case's input as text: YAML text as written, a mapping as JSON. */
const textOf = (value) => (typeof value === "string" ? value : JSON.stringify(value));

/** A fresh directory holding `files` (name → text). */
function dirWith(files) {
  const dir = join(scratch, String(serial++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The package's answer, or the InputError it threw as `{thrown}`. */
function attempt(f) {
  try {
    return { value: f() };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { thrown: e };
  }
}

/** Compares one answer of the package with the CLI's output. */
function same(cli, ours, what) {
  if (cli.code === 2) {
    assert.ok(ours.thrown, `the CLI refused the input (${cli.stderr.trim()}) but the package gave ${JSON.stringify(ours.value)}`);
    assert.ok(
      cli.stderr.includes(ours.thrown.message),
      `the CLI said:\n${cli.stderr}\nthe package threw:\n${ours.thrown.message}`,
    );
    return;
  }
  assert.equal(ours.thrown, undefined, `the package threw ${ours.thrown?.message}; the CLI answered (exit ${cli.code}):\n${cli.stdout}`);
  assert.deepEqual(ours.value, JSON.parse(cli.stdout), `${what} differs from the CLI's`);
}

/** One case, run by the CLI (`-p` the policy file, or the built-in library) and the package. */
async function compareCase(policy, policyArgs, policyName, c) {
  const env = c.env ? ["--env", c.env] : [];
  // A case's own limits: `--limit` for the CLI, `options.limits` here.
  const limits = Object.entries(c.limits ?? {}).flatMap(([name, value]) => ["--limit", `${name}=${value}`]);
  if (c.input !== undefined) {
    const files = { "case.yaml": textOf(c.input) };
    if (c.old !== undefined) files["old.yaml"] = textOf(c.old);
    const cwd = dirWith(files);
    const old = c.old !== undefined ? ["--old", "old.yaml"] : [];
    const cli = await runAssay(["check", "-o", "json", ...policyArgs, ...env, ...limits, ...old, "case.yaml"], { cwd });
    const ours = attempt(() =>
      policy.validate(files["case.yaml"], { env: c.env, old: files["old.yaml"], file: "case.yaml", oldFile: "old.yaml", limits: c.limits }),
    );
    same(cli, ours, "report");
  } else if (c.rollout !== undefined) {
    const text = JSON.stringify(c.rollout);
    const cwd = dirWith({ "input.json": text });
    const name = policyName ? ["--policy-name", policyName] : [];
    const cli = await runAssay(["decide", "-o", "json", ...policyArgs, ...env, ...name, "input.json"], { cwd });
    same(cli, attempt(() => policy.decide(text, { env: c.env || undefined, policy: policyName })), "decision");
  } else if (c.review !== undefined) {
    const text = textOf(c.review);
    const cwd = dirWith({ "review.yaml": text });
    const cli = await runAssay(["review", ...policyArgs, ...env, ...limits, "review.yaml"], { cwd });
    same(cli, attempt(() => policy.review(text, { env: c.env, file: "review.yaml", limits: c.limits })), "review");
  } else {
    assert.fail(`case \`${c.name}\` has no input, rollout or review`);
  }
}

const yamlFiles = (dir, keep) =>
  readdirSync(join(repo, dir))
    .filter((n) => n.endsWith(".yaml") && keep(n))
    .sort();

// Every `tests/` directory of the library: `policies/tests/` and each pack's.
const libraryCaseFiles = () =>
  readdirSync(join(repo, "policies"), { recursive: true })
    .map((n) => n.split("\\").join("/"))
    .filter((n) => n.endsWith(".yaml") && n.split("/").includes("tests"))
    .map((n) => `policies/${n}`)
    .sort();

describe("built-in library cases (policies/**/tests/)", { concurrency: 4 }, () => {
  const policy = Policy.defaults();
  for (const file of libraryCaseFiles()) {
    const cases = parse(read(file));
    for (const c of cases.cases) {
      it(`${file}: ${c.name}`, () => compareCase(policy, [], cases.policy, c));
    }
  }
});

// Schemas that `$ref` other files need file I/O, which a policy given as
// text has not; those policies are loaded by the CLI and Python only.
const READS_FILES = new Set(["schema-ref.yaml"]);

describe("tests/cases/", { concurrency: 4 }, () => {
  for (const file of yamlFiles("tests/cases", (n) => !n.endsWith(".policy.yaml"))) {
    const policyFile = `tests/cases/${file.replace(/\.yaml$/, ".policy.yaml")}`;
    if (READS_FILES.has(file)) {
      it(`${file}: its policy refers to files, so from text it is a PolicyError`, () => {
        assert.throws(() => Policy.fromYaml(read(policyFile), { file: policyFile }), PolicyError);
      });
      continue;
    }
    const policy = Policy.fromYaml(read(policyFile), { file: policyFile });
    const cases = parse(read(`tests/cases/${file}`));
    for (const c of cases.cases) {
      it(`${file}: ${c.name}`, () => compareCase(policy, ["-p", join(repo, policyFile)], cases.policy, c));
    }
  }
});

describe("examples/", { concurrency: 4 }, () => {
  const policy = Policy.defaults();
  for (const name of readdirSync(join(repo, "examples/k8s")).sort()) {
    const file = `examples/k8s/${name}`;
    for (const env of ["", "production"]) {
      it(`${file}${env ? ` --env ${env}` : ""}`, async () => {
        const cli = await runAssay(["check", "-o", "json", ...(env ? ["--env", env] : []), file]);
        same(cli, attempt(() => policy.validate(read(file), { env, file })), "report");
      });
    }
  }
  // Dotenv files are read as the ConfigMap they generate, by their name.
  for (const name of readdirSync(join(repo, "cli/tests/fixtures/dotenv")).sort()) {
    const file = `cli/tests/fixtures/dotenv/${name}`;
    it(file, async () => {
      const cli = await runAssay(["check", "-o", "json", file]);
      same(cli, attempt(() => policy.validate(read(file), { file })), "report");
    });
  }
  for (const name of readdirSync(join(repo, "examples/rollout")).sort()) {
    const file = `examples/rollout/${name}`;
    for (const rollout of policy.describe().filter((p) => p.kind === "RolloutPolicy")) {
      it(`${file} --policy-name ${rollout.name}`, async () => {
        const cli = await runAssay(["decide", "-o", "json", "--policy-name", rollout.name, file]);
        same(cli, attempt(() => policy.decide(read(file), { policy: rollout.name })), "decision");
      });
    }
  }
  for (const name of readdirSync(join(repo, "examples/admission")).sort()) {
    const file = `examples/admission/${name}`;
    it(file, async () => {
      const cli = await runAssay(["review", file]);
      same(cli, attempt(() => policy.review(read(file), { file })), "review");
    });
  }
});
