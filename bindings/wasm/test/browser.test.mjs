// The package in a real browser: Debian's headless Chromium loads a page that
// imports the ES module by its package name (an import map, as a bundler
// resolves it), which fetches its .wasm; the page validates and decides, and
// posts what it got back to the test's loopback server.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { read } from "./helpers.mjs";

const pkg = fileURLToPath(new URL("../pkg/", import.meta.url));
const profile = mkdtempSync(join(tmpdir(), "assay-chromium-"));
// Chromium's helper processes may still be writing the profile as it exits;
// a profile left in the temp dir is not a failure of the package.
after(() => {
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.error(`could not remove ${profile}: ${e.message}`);
  }
});

function chromium() {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${name}`]);
      return name;
    } catch {}
  }
  throw new Error("no chromium: `make test-js` installs Debian's (apt-get install chromium)");
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="importmap">{"imports": {"assay-policy": "/pkg/web.js"}}</script>
<script type="module">
  const post = (body) => fetch("/result", { method: "POST", body: JSON.stringify(body) });
  try {
    const { Policy, PolicyError } = await import("assay-policy");
    const policy = Policy.defaults();
    const cm = await (await fetch("/cm.yaml")).text();
    const good = policy.validate(cm, { env: "production" });
    const bad = policy.validate(cm.replace(/LOG_LEVEL: .*/, 'LOG_LEVEL: "TRACE"'), { env: "production" });
    const decision = policy.decide(await (await fetch("/rollout.json")).text(), { policy: "fraud-v2-canary" });
    let error = null;
    try { Policy.fromYaml("apiVersion: assay.dev/v1\\nkind: ValidationPolicy\\nmetadata: {name: x}\\nspec:\\n  rules:\\n    - {name: r, expr: 'object.a >'}\\n"); }
    catch (e) { error = { name: e.name, isPolicyError: e instanceof PolicyError, line: e.line, rule: e.rule }; }
    policy.free();
    await post({ good: good.verdict, bad: bad.results.flatMap((r) => r.findings), decision: decision.decision, error });
  } catch (e) {
    await post({ failed: String(e && e.stack || e) });
  }
</script>`;

test("in headless Chromium the package loads its wasm, validates, decides and throws PolicyError", async () => {
  const browser = chromium();
  let resolveResult;
  const result = new Promise((r) => (resolveResult = r));
  const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
  const served = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && url.pathname === "/result") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.end();
        resolveResult(JSON.parse(body));
      });
      return;
    }
    const send = (type, body) => {
      res.writeHead(200, { "content-type": type });
      res.end(body);
    };
    if (url.pathname === "/") return send("text/html", PAGE);
    if (url.pathname === "/cm.yaml") return send("text/yaml", read("examples/k8s/ml-pipeline-config.yaml"));
    if (url.pathname === "/rollout.json") return send("application/json", read("examples/rollout/fraud-v2-production.json"));
    const file = normalize(url.pathname.replace(/^\/pkg\//, ""));
    if (url.pathname.startsWith("/pkg/") && !file.startsWith("..")) {
      try {
        const body = readFileSync(join(pkg, file));
        served.push(file);
        return send(types[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream", body);
      } catch {}
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  const child = spawn(
    browser,
    ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`],
    // Its own process group, so that its helper processes end with it.
    { stdio: "ignore", detached: true },
  );
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("the page posted nothing in 60 s")), 60_000).unref());
  try {
    const got = await Promise.race([result, timeout]);
    assert.equal(got.failed, undefined, got.failed);
    assert.equal(got.good, "pass");
    assert.ok(got.bad.some((f) => f.rule === "schema" && f.path === "/data/LOG_LEVEL" && f.line > 0), JSON.stringify(got.bad));
    assert.ok(["promote", "advance", "hold", "rollback"].includes(got.decision));
    assert.deepEqual(got.error, { name: "PolicyError", isPolicyError: true, line: 6, rule: "r" });
    // Browsers get the build for size, and only it.
    assert.deepEqual(served.filter((f) => f.endsWith(".wasm")), ["assay_wasm_web.wasm"]);
  } finally {
    // Waiting on an exit that already happened would never end.
    const exited = child.exitCode === null && child.signalCode === null ? once(child, "exit") : null;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    if (exited) await exited;
    server.close();
  }
});
