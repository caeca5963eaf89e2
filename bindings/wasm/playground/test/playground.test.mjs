// The playground in Debian's headless Chromium, driven by playwright-core:
// typing into the CodeMirror panes as a user would, and checking what the
// page shows against what the same package answers in Node.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { Policy } from "assay-policy";
import { serve, dist } from "../serve.mjs";

const repo = new URL("../../../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, repo), "utf8");
const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);

let context, page, server, url;
const consoleErrors = [];
const profile = mkdtempSync(join(tmpdir(), "assay-playground-"));

before(async () => {
  assert.ok(existsSync(join(dist, "index.html")), "no playground build: run `make build-playground`");
  assert.ok(executablePath, "no chromium: `make setup-chromium` installs Debian's");
  ({ server, url } = await serve());
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("#status.status.pass", { timeout: 60_000 });
});

after(async () => {
  await context?.close();
  server?.close();
  rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const pane = (id) => page.locator(`#${id} .cm-content`);
const lineOf = (id, text) => page.locator(`#${id} .cm-line`, { hasText: text });

/** Puts the cursor just before the closing quote of the line holding `text`. */
async function beforeClosingQuote(id, text) {
  await lineOf(id, text).click();
  await page.keyboard.press("End");
  await page.keyboard.press("ArrowLeft");
}

/** Vertical centre of an element, to tell which line a gutter marker sits on. */
const middle = async (locator) => {
  const box = await locator.boundingBox();
  return box.y + box.height / 2;
};

test("loads with the ml-pipeline-config example passing", async () => {
  assert.match(await page.textContent("#status"), /^pass: 1 document/);
  assert.equal(await page.textContent("#policy-status"), "compiles");
  assert.equal(await page.locator("#doc .cm-lintRange-error").count(), 0);
});

test("an invalid LOG_LEVEL is underlined on its line, marked in the gutter and listed; a click jumps there", async () => {
  await beforeClosingQuote("doc", "LOG_LEVEL");
  for (let i = 0; i < 4; i++) await page.keyboard.press("Backspace");
  await page.keyboard.type("TRACE");

  const expected = Policy.fromYaml(read("policies/ml-pipeline-config.yaml"))
    .validate(read("examples/k8s/ml-pipeline-config.yaml").replace('LOG_LEVEL: "INFO"', 'LOG_LEVEL: "TRACE"'), { env: "production" })
    .results.flatMap((r) => r.findings);
  assert.equal(expected.length, 1);
  const [f] = expected;

  const range = page.locator("#doc .cm-lintRange-error");
  await range.first().waitFor();
  assert.equal(await range.count(), 1);
  assert.match(await lineOf("doc", "LOG_LEVEL").textContent(), /"TRACE"/);
  assert.equal(await lineOf("doc", "LOG_LEVEL").locator(".cm-lintRange-error").count(), 1);
  assert.equal(await range.textContent(), '"TRACE"');

  const marker = page.locator("#doc .cm-lint-marker-error");
  assert.equal(await marker.count(), 1);
  assert.ok(Math.abs((await middle(marker)) - (await middle(lineOf("doc", "LOG_LEVEL")))) < 4, "gutter marker on the LOG_LEVEL line");

  const items = page.locator("#findings li");
  assert.equal(await items.count(), 1);
  const item = await items.first().textContent();
  assert.ok(item.startsWith(`${f.line}:${f.column} error ml-pipeline-config/schema /data/LOG_LEVEL`), item);
  assert.match(await page.textContent("#status"), /^fail: .* 1 error/);

  // The list jumps: move the cursor away, click the finding, the cursor is on the line.
  await lineOf("doc", "apiVersion").click();
  await items.first().click();
  assert.match(await page.locator("#doc .cm-activeLine").textContent(), /LOG_LEVEL/);
});

test("fixing LOG_LEVEL clears the diagnostic", async () => {
  await beforeClosingQuote("doc", "LOG_LEVEL");
  for (let i = 0; i < 5; i++) await page.keyboard.press("Backspace");
  await page.keyboard.type("ERROR");
  await page.waitForSelector("#status.status.pass");
  assert.equal(await page.locator("#doc .cm-lintRange-error").count(), 0);
  assert.equal(await page.locator("#doc .cm-lint-marker-error").count(), 0);
  assert.equal(await page.locator("#findings li").count(), 0);
});

test("the rollout tab decides from state + metrics and shows the checks", async () => {
  await page.selectOption("#examples", "policy:fraud-v2-canary");
  await page.selectOption("#examples", "rollout:fraud-v2-production");
  assert.equal(await page.isVisible("#panel-rollout"), true);

  const expected = Policy.fromYaml(read("policies/fraud-v2-canary.yaml")).decide(read("examples/rollout/fraud-v2-production.json"), {
    env: "production",
  });
  const decision = await page.textContent("#decision");
  assert.ok(decision.startsWith(`${expected.decision} → weight ${expected.weight}%`), decision);
  assert.equal(await page.textContent("#reason"), expected.reason);
  const rows = await page.locator("#checks tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(
    rows.map((r) => [r[0].replace(/ \(critical\)$/, ""), r[1], r[6], r[7]]),
    expected.checks.map((c) => [c.name, c.metric, c.result, c.message]),
  );

  // Editing the metrics re-decides: a candidate error rate over the bound fails that check.
  const before = await page.textContent("#decision");
  const text = read("examples/rollout/fraud-v2-production.json").replace('"error_rate": 0.006', '"error_rate": 0.05');
  await pane("rollout-input").click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(text);
  const worse = Policy.fromYaml(read("policies/fraud-v2-canary.yaml")).decide(text, { env: "production" });
  await page.waitForFunction((d) => document.getElementById("decision").textContent.startsWith(d), `${worse.decision} → weight ${worse.weight}%`);
  assert.notEqual(await page.textContent("#decision"), before);
  assert.equal(await page.locator("#checks td.result-fail").count(), worse.checks.filter((c) => c.result === "fail").length);

  // Input that is not JSON: the error's class is named, though the bundle minifies class names.
  await pane("rollout-input").click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText("{ not json");
  await page.waitForFunction(() => /not valid JSON/.test(document.getElementById("decision").textContent));
  assert.match(await page.textContent("#decision"), /^InputError: /);
});

test("a rollout example brings a policy to decide with; with several, a menu picks one", async () => {
  const input = read("examples/rollout/fraud-v2-production.json");
  const fraud = Policy.fromYaml(read("policies/fraud-v2-canary.yaml")).decide(input, { env: "production" });
  const shown = `${fraud.decision} → weight ${fraud.weight}% (fraud-v2-canary`;
  // From a validation policy: the example loads the fraud canary policy with it.
  await page.selectOption("#examples", "policy:ml-pipeline-config");
  await page.selectOption("#examples", "rollout:fraud-v2-production");
  await page.waitForFunction((d) => document.getElementById("decision").textContent.startsWith(d), shown);
  assert.match(await page.textContent("#policy .cm-content"), /kind: RolloutPolicy/);
  assert.equal(await page.isVisible("#rollout-policy-label"), false);
  // The whole library holds two rollout policies: the menu chooses.
  await page.selectOption("#examples", "library");
  await page.waitForFunction(() => !document.getElementById("rollout-policy-label").hidden);
  const names = await page.locator("#rollout-policy option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(names, ["fraud-v2-canary", "inference-canary"]);
  await page.selectOption("#rollout-policy", "fraud-v2-canary");
  await page.waitForFunction((d) => document.getElementById("decision").textContent.startsWith(d), shown);
  await page.selectOption("#rollout-policy", "inference-canary");
  await page.waitForFunction(() => /inference-canary|InputError/.test(document.getElementById("decision").textContent));
  // The choice is part of a shared link.
  const other = await context.newPage();
  other.on("pageerror", (e) => consoleErrors.push(String(e)));
  await other.goto(page.url());
  await other.waitForFunction(() => !document.getElementById("rollout-policy-label").hidden);
  assert.equal(await other.inputValue("#rollout-policy"), "inference-canary");
  await other.close();
  await page.selectOption("#examples", "policy:ml-pipeline-config");
  await page.click("#tab-findings");
});

test("breaking the policy YAML marks the policy error at its line", async () => {
  await page.click("#tab-findings");
  await page.selectOption("#examples", "policy:ml-pipeline-config");
  await page.waitForSelector("#status.status.pass");
  await lineOf("policy", "maxWorkers: 32").click();
  await page.keyboard.press("End");
  await page.keyboard.type(": x");

  const broken = read("policies/ml-pipeline-config.yaml").replace("maxWorkers: 32", "maxWorkers: 32: x");
  let expected;
  try {
    Policy.fromYaml(broken, { file: "policy.yaml" });
  } catch (e) {
    expected = e;
  }
  assert.equal(expected?.name, "PolicyError");
  assert.equal(broken.split("\n")[expected.line - 1].includes("maxWorkers"), true, "the package places the error on that line");

  await page.waitForSelector("#policy-status.fail");
  assert.match(await page.textContent("#policy-status"), /does not compile/);
  const marker = page.locator("#policy .cm-lint-marker-error");
  assert.equal(await marker.count(), 1);
  assert.ok(Math.abs((await middle(marker)) - (await middle(lineOf("policy", "maxWorkers: 32")))) < 4, "gutter marker on the broken line");
  assert.equal(await lineOf("policy", "maxWorkers: 32").locator(".cm-lintRange-error").count(), 1);
  const item = await page.locator("#findings li").first().textContent();
  assert.ok(item.startsWith(`policy ${expected.line}:${expected.column} error`), item);
  // The document pane has no stale findings while the policy is broken.
  assert.equal(await page.locator("#doc .cm-lintRange").count(), 0);
});

test("the state lives in the URL hash: a fresh page restores it", async () => {
  const shared = page.url();
  assert.match(shared, /#[A-Za-z0-9_-]+$/);
  const other = await context.newPage();
  other.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  other.on("pageerror", (e) => consoleErrors.push(String(e)));
  await other.goto(shared);
  await other.waitForSelector("#policy-status.fail");
  assert.match(await other.locator("#policy .cm-line", { hasText: "maxWorkers: 32" }).textContent(), /maxWorkers: 32: x/);
  assert.match(await other.locator("#doc .cm-line", { hasText: "LOG_LEVEL" }).textContent(), /"ERROR"/);
  assert.equal(await other.inputValue("#env"), "production");
  await other.close();
});

/** Replaces a pane's whole text as a paste would. */
async function paste(id, text) {
  await pane(id).click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(text);
}

/** The findings list's items, once the page has caught up with the last edit. */
async function listed(count) {
  await page.waitForFunction((n) => document.querySelectorAll("#findings li").length === n, count);
  return page.locator("#findings li").allTextContents();
}

const item = (f) => `${f.line}:${f.column} ${f.severity} ${f.policy}/${f.rule}`;
/** A report's findings in the page's order: by line, then column. */
const findingsOf = (report) =>
  report.results
    .flatMap((r) => r.findings.map((f) => ({ ...f, policy: r.policy })))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));

test("the environment selector offers the policy's environments", async () => {
  await page.selectOption("#examples", "policy:ml-pipeline-config");
  await page.selectOption("#examples", "doc:ml-pipeline-config");
  const text = read("examples/k8s/ml-pipeline-config.yaml").replace('LOG_LEVEL: "INFO"', 'LOG_LEVEL: "DEBUG"');
  await paste("doc", text);
  const menu = () => page.locator("#env option").evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(await menu(), ["", "production"]);
  const source = read("policies/ml-pipeline-config.yaml");
  const policy = Policy.fromYaml(source);
  for (const env of ["production", ""]) {
    await page.selectOption("#env", env);
    const expected = findingsOf(policy.validate(text, { env: env || undefined }));
    const got = await listed(expected.length);
    assert.deepEqual(got.map((g) => g.split(" ").slice(0, 3).join(" ")), expected.map(item), env);
  }
  // DEBUG is a production-only warning.
  assert.equal(findingsOf(policy.validate(text, { env: "production" }))[0]?.rule, "no-debug-in-production");
  // An environment typed into the policy joins the menu; the chosen one stays.
  await page.selectOption("#env", "production");
  const renamed = source.replace("    production:\n      params", "    canary:\n      params");
  assert.notEqual(renamed, source);
  await paste("policy", renamed);
  await page.waitForFunction(() => [...document.querySelectorAll("#env option")].some((o) => o.value === "canary"));
  assert.deepEqual(await menu(), ["", "canary", "production"]);
  assert.equal(await page.inputValue("#env"), "production");
  // upgrade-guard has a rule for no environment (`environments: ['']`): "(none)" is listed once.
  await page.selectOption("#examples", "policy:upgrade-guard");
  await page.waitForFunction(() => [...document.querySelectorAll("#env option")].every((o) => o.value !== "canary"));
  assert.deepEqual(await menu(), ["", "production"]);
});

test("the old-version pane is the previous version the rules compare with", async () => {
  await page.selectOption("#examples", "policy:upgrade-guard");
  await page.selectOption("#examples", "doc:model-engine");
  await page.check("#old-toggle");
  assert.equal(await page.isVisible("#old-pane"), true);
  const original = read("examples/k8s/model-engine.yaml");
  // The old pane starts as the current document: nothing changed, no upgrade finding.
  const policy = Policy.fromYaml(read("policies/upgrade/upgrade-guard.yaml"));
  const same = findingsOf(policy.validate(original, { env: "production", old: original }));
  assert.deepEqual((await listed(same.length)).map((g) => g.split(" ").slice(0, 3).join(" ")), same.map(item));

  await lineOf("doc", "replicas: 2").click();
  await page.keyboard.press("End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type("1");
  const changed = original.replace("replicas: 2", "replicas: 1");
  const expected = findingsOf(policy.validate(changed, { env: "production", old: original }));
  assert.ok(expected.some((f) => f.rule === "replicas-kept"), JSON.stringify(expected));
  assert.deepEqual((await listed(expected.length)).map((g) => g.split(" ").slice(0, 3).join(" ")), expected.map(item));

  // An old version that does not parse is marked in its own pane, and listed.
  const broken = original.replace(/^metadata:.*$/m, "metadata: {name: [model-engine");
  assert.notEqual(broken, original);
  await paste("old", broken);
  const report = policy.validate(changed, { env: "production", old: broken, oldFile: "old.yaml" });
  const [failure] = report.results.filter((r) => r.file === "old.yaml").flatMap((r) => r.findings);
  assert.equal(failure?.rule, "parse", JSON.stringify(report));
  await page.waitForSelector("#old .cm-lintRange-error");
  const marked = await page.locator("#old .cm-line").nth(failure.line - 1).locator(".cm-lintRange-error").count();
  assert.equal(marked, 1, `the parse error is underlined on line ${failure.line} of the old pane`);
  const items = await page.locator("#findings li").allTextContents();
  assert.ok(items.some((t) => t.startsWith(`old ${failure.line}:${failure.column} error parse`)), items.join("\n"));
  await paste("old", original);
  await page.waitForFunction(() => !document.querySelector("#old .cm-lintRange-error"));
  await page.uncheck("#old-toggle");
  assert.equal(await page.isVisible("#old-pane"), false);
});

test("with the whole library, a planted token is found and never shown", async () => {
  const token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
  await page.selectOption("#examples", "library");
  await page.waitForSelector("#policy-status.pass");
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inference-env}\ndata:\n  GITHUB_TOKEN: ${token}\n`;
  await paste("doc", text);
  await page.waitForFunction(() => document.querySelector("#findings")?.textContent.includes("secret-in-configmap"));
  const shown = (await page.textContent("#findings")) + (await page.textContent("#status"));
  assert.ok(!shown.includes(token.slice(4)), shown);
  // Each diagnostic's message, as its tooltip would show it.
  await lineOf("doc", "GITHUB_TOKEN").locator(".cm-lintRange-error").hover();
  const tooltip = await page.locator(".cm-tooltip-lint").first().textContent();
  assert.match(tooltip, /secret-in-configmap/);
  assert.ok(!tooltip.includes(token.slice(4)), tooltip);
});

test("the page logged no console errors", () => {
  assert.deepEqual(consoleErrors, []);
});
