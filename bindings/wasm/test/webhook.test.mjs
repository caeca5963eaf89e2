// The admission-webhook example, run as its own process: real AdmissionReview
// v1 requests are POSTed to it over loopback, and each answer must be the
// one `assay review` gives for the same request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { parse } from "yaml";
import { read, repo, runAssay } from "./helpers.mjs";

const examples = join(repo, "bindings/wasm/examples");
const servers = [];
const scratch = mkdtempSync(join(tmpdir(), "assay-webhook-"));

/** Starts the example; resolves with its base URL once it listens. */
async function start(args) {
  const child = spawn(process.execPath, ["webhook.mjs", ...args], {
    cwd: examples,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  servers.push(child);
  let out = "";
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
    if (m) return m[1];
  }
  throw new Error(`the webhook exited before listening: ${out}`);
}

/** One HTTP request to the webhook; resolves with status and parsed body. */
function post(base, body, { method = "POST", path = "/validate", type = "application/json" } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers: { "content-type": type } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("the webhook did not answer in 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}

/** `assay review` on the same request. */
async function cliReview(text, args) {
  const file = join(scratch, `review-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, text);
  const cli = await runAssay(["review", ...args, file]);
  assert.ok(cli.code === 0 || cli.code === 1, cli.stderr);
  return JSON.parse(cli.stdout);
}

let library;
let custom;
before(async () => {
  // The example depends on the package as `file:../pkg`.
  if (!existsSync(join(examples, "node_modules/assay-policy"))) {
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: examples, stdio: ["ignore", "ignore", "inherit"] });
  }
  [library, custom] = await Promise.all([
    start(["--env", "production"]),
    start(["--policy", join(repo, "tests/cases/review.policy.yaml")]),
  ]);
});

after(async () => {
  for (const child of servers) {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
  }
  rmSync(scratch, { recursive: true, force: true });
});

test("the example AdmissionReviews are answered as `assay review --env production` answers them", async () => {
  const files = readdirSync(join(repo, "examples/admission")).sort();
  assert.ok(files.length >= 2);
  const allowed = [];
  for (const name of files) {
    const text = read(`examples/admission/${name}`);
    const { status, body } = await post(library, text);
    assert.equal(status, 200);
    assert.equal(body.kind, "AdmissionReview");
    assert.equal(body.response.uid, JSON.parse(text).request.uid);
    assert.deepEqual(body, await cliReview(text, ["--env", "production"]), name);
    allowed.push(body.response.allowed);
  }
  // One allowed and one denied example: both paths are taken.
  assert.deepEqual(new Set(allowed), new Set([true, false]));
});

test("every review case of tests/cases/review.yaml, posted to a webhook with its policy", async () => {
  const { cases } = parse(read("tests/cases/review.yaml"));
  let answered = 0;
  for (const c of cases.filter((c) => !c.env && !c.expect.error)) {
    const text = typeof c.review === "string" ? c.review : JSON.stringify(c.review);
    let json;
    try {
      json = JSON.stringify(JSON.parse(text));
    } catch {
      continue; // YAML-only requests: the API server always sends JSON
    }
    const { status, body } = await post(custom, json);
    assert.equal(status, 200, `${c.name}: ${JSON.stringify(body)}`);
    assert.deepEqual(body, await cliReview(json, ["-p", join(repo, "tests/cases/review.policy.yaml")]), c.name);
    if (c.expect.allowed !== undefined) assert.equal(body.response.allowed, c.expect.allowed, c.name);
    answered++;
  }
  assert.ok(answered >= 3, `only ${answered} cases were posted`);
});

test("what is not an AdmissionReview is a 400 with the reason; health and methods", async () => {
  const notJson = await post(library, "{nope");
  assert.equal(notJson.status, 400);
  assert.match(notJson.body.error, /not JSON/);
  // V8's parse error quotes the text around the fault: a token there must not be echoed.
  const token = "ghp_" + "AssayFakeToken0123456789abcdefghijkl";
  const leaky = await post(library, `{"password": ${token}}`);
  assert.equal(leaky.status, 400);
  assert.match(leaky.body.error, /not JSON/);
  assert.ok(!JSON.stringify(leaky.body).includes(token.slice(0, 8)), JSON.stringify(leaky.body));
  const notReview = await post(library, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap" }));
  assert.equal(notReview.status, 400);
  assert.match(notReview.body.error, /apiVersion/);
  assert.ok(notReview.body.hint);
  // The API server posts JSON; anything else is named, and `null` is not an AdmissionReview.
  const form = await post(library, "a=1", { type: "application/x-www-form-urlencoded" });
  assert.equal(form.status, 415);
  assert.match(form.body.error, /application\/json/);
  const empty = await post(library, "null");
  assert.equal(empty.status, 400);
  assert.match(empty.body.error, /not an AdmissionReview/);
  assert.equal((await post(library, "", { method: "GET", path: "/healthz" })).status, 200);
  assert.equal((await post(library, "", { method: "PUT" })).status, 405);
});

test("concurrent requests are all answered", async () => {
  const text = read("examples/admission/configmap-denied.json");
  const answers = await Promise.all(Array.from({ length: 50 }, () => post(library, text)));
  assert.ok(answers.every((a) => a.status === 200 && a.body.response.allowed === false));
});
