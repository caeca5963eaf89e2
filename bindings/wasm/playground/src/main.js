// The playground: CodeMirror 6 panes for a policy, a document (and an
// optional old version) and a rollout input, checked by the assay-policy
// package as you type. The engine's answers are shown as they come: findings
// become lint diagnostics at their line:col, policy errors diagnostics in
// the policy pane, decisions a table. The whole state lives in the URL hash.
import { EditorView, basicSetup } from "codemirror";
import { yaml } from "@codemirror/lang-yaml";
import { json } from "@codemirror/lang-json";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { Policy, PolicyError } from "assay-policy";
import library from "assay:examples";

const $ = (id) => document.getElementById(id);
const byName = (list, name) => list.find((e) => e.name === name);

const DEFAULTS = {
  policy: byName(library.policies, "ml-pipeline-config")?.text ?? "",
  doc: byName(library.documents, "ml-pipeline-config")?.text ?? "",
  old: null,
  rollout: library.rollouts[0]?.text ?? "{}",
  env: "production",
  tab: "findings",
};

// --- URL hash: base64url of the state's JSON (UTF-8) -----------------------

function encodeState(state) {
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeState(hash) {
  try {
    const bin = atob(hash.replace(/-/g, "+").replace(/_/g, "/"));
    const state = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    return state !== null && typeof state === "object" ? state : null;
  } catch {
    return null; // a hand-edited or truncated link: start from the defaults
  }
}

const initial = { ...DEFAULTS, ...(decodeState(location.hash.slice(1)) ?? {}) };

// --- editors ----------------------------------------------------------------

function editor(parent, text, language) {
  return new EditorView({
    doc: typeof text === "string" ? text : "",
    parent,
    extensions: [basicSetup, language, lintGutter(), EditorView.updateListener.of((u) => u.docChanged && schedule())],
  });
}

const views = {
  policy: editor($("policy"), initial.policy, yaml()),
  doc: editor($("doc"), initial.doc, yaml()),
  old: editor($("old"), initial.old ?? "", yaml()),
  rollout: editor($("rollout-input"), initial.rollout, json()),
};
// The menu holds the chosen environment until the policy's are known (`fillEnvironments`).
if (typeof initial.env === "string" && initial.env) $("env").add(new Option(initial.env, initial.env));
$("env").value = typeof initial.env === "string" ? initial.env : "";
$("old-toggle").checked = typeof initial.old === "string";
$("old-pane").hidden = !$("old-toggle").checked;

const text = (name) => views[name].state.doc.toString();

function replace(name, body) {
  views[name].dispatch({ changes: { from: 0, to: views[name].state.doc.length, insert: body } });
}

/** A 1-based line/column of the engine to a document offset (clamped: the text may have moved on). */
function offset(view, line, column) {
  const doc = view.state.doc;
  const l = doc.line(Math.min(Math.max(line ?? 1, 1), doc.lines));
  return Math.min(l.from + Math.max((column ?? 1) - 1, 0), l.to);
}

/** A diagnostic from its spot to the end of that line's text, so the value is underlined. */
function diagnostic(view, line, column, severity, message, source) {
  const from = offset(view, line, column);
  const end = view.state.doc.lineAt(from);
  const trimmed = end.from + end.text.trimEnd().length;
  const to = trimmed > from ? trimmed : Math.min(from + 1, view.state.doc.length);
  return { from, to, severity: ["error", "warning", "info"].includes(severity) ? severity : "error", message, source };
}

function jump(view, line, column) {
  const pos = offset(view, line, column);
  view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
  view.focus();
}

// --- the engine -------------------------------------------------------------

let compiled = { text: null, policy: null, environments: [], error: null };

/** Compiles the policy pane only when its text changed; frees the set it replaces. */
function currentPolicy() {
  const source = text("policy");
  if (compiled.text !== source) {
    compiled.policy?.free();
    compiled = { text: source, policy: null, environments: [], rollouts: [], error: null };
    try {
      compiled.policy = Policy.fromYaml(source, { file: "policy.yaml" });
      const described = compiled.policy.describe();
      compiled.environments = described.flatMap((p) => p.environments ?? []);
      compiled.rollouts = described.filter((p) => p.kind === "RolloutPolicy").map((p) => p.name);
    } catch (e) {
      compiled.error = e;
    }
  }
  return compiled;
}

/** The environment menu: none, the environments the policy names, and the one chosen (from a shared link, or one an earlier policy named). */
function fillEnvironments({ environments }) {
  const menu = $("env");
  const chosen = menu.value;
  const names = new Set(environments);
  if (chosen) names.add(chosen);
  names.delete(""); // a rule for "no environment" (`environments: ['']`) is the first entry
  const values = ["", ...[...names].sort()];
  if (values.join("\n") === [...menu.options].map((o) => o.value).join("\n")) return;
  menu.replaceChildren(...values.map((name) => new Option(name || "(none)", name)));
  menu.value = chosen;
}

/** The rollout policy menu, shown when the set holds more than one to decide with. */
function fillRollouts({ rollouts }) {
  const menu = $("rollout-policy");
  const chosen = menu.value || initial.rolloutPolicy; // the link's choice, on the first fill
  $("rollout-policy-label").hidden = rollouts.length < 2;
  if (rollouts.join("\n") !== [...menu.options].map((o) => o.value).join("\n")) {
    menu.replaceChildren(...rollouts.map((name) => new Option(name, name)));
  }
  menu.value = rollouts.includes(chosen) ? chosen : (rollouts[0] ?? "");
}

function setStatus(el, message, cls = "") {
  el.textContent = message;
  el.className = `status ${cls}`;
}

function showPolicy({ error }) {
  const view = views.policy;
  const errors = error instanceof PolicyError ? (error.errors.length ? error.errors : [error]) : error ? [error] : [];
  view.dispatch(
    setDiagnostics(
      view.state,
      errors.map((e) => diagnostic(view, e.line, e.column, "error", e.hint ? `${e.message}\nhint: ${e.hint}` : e.message, e.rule ?? "policy")),
    ),
  );
  if (error) setStatus($("policy-status"), `does not compile (${errors.length} error${errors.length === 1 ? "" : "s"})`, "fail");
  else setStatus($("policy-status"), "compiles", "pass");
}

function findingsItem(label, cls, onClick) {
  const li = document.createElement("li");
  li.textContent = label;
  li.className = cls;
  if (onClick) {
    li.tabIndex = 0; // reachable and usable from the keyboard too
    li.addEventListener("click", onClick);
    li.addEventListener("keydown", (ev) => ev.key === "Enter" && onClick());
  }
  return li;
}

/** The old-version pane's file name in reports: its parse failures are marked there. */
const OLD_FILE = "old.yaml";

function checkDocument(policy) {
  const list = $("findings");
  list.replaceChildren();
  const view = views.doc;
  const clear = () => {
    for (const v of [view, views.old]) v.dispatch(setDiagnostics(v.state, []));
  };
  if (!policy.policy) {
    clear();
    setStatus($("status"), "the policy does not compile: its errors are marked in the policy pane", "fail");
    for (const e of policy.error?.errors?.length ? policy.error.errors : [policy.error]) {
      list.append(findingsItem(`policy ${e.line ?? "?"}:${e.column ?? "?"} error ${e.message}`, "sev-error", () => jump(views.policy, e.line, e.column)));
    }
    return;
  }
  const env = $("env").value || undefined;
  const old = $("old-toggle").checked ? text("old") : undefined;
  let report;
  try {
    report = policy.policy.validate(text("doc"), { env, old, file: "document.yaml", oldFile: OLD_FILE });
  } catch (e) {
    clear();
    setStatus($("status"), `${e.name}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`, "fail");
    return;
  }
  const findings = report.results.flatMap((r) =>
    r.findings.map((f) => ({ ...f, label: r.policy ? `${r.policy}/${f.rule}` : f.rule, pane: r.file === OLD_FILE ? views.old : view })),
  );
  findings.sort((a, b) => (a.pane === b.pane ? 0 : a.pane === view ? -1 : 1) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  for (const pane of [view, views.old]) {
    const own = findings.filter((f) => f.pane === pane);
    pane.dispatch(setDiagnostics(pane.state, own.map((f) => diagnostic(pane, f.line, f.column, f.severity, `${f.label}: ${f.message}`, f.rule))));
  }
  const s = report.summary;
  setStatus(
    $("status"),
    `${report.verdict}: ${s.documents} document${s.documents === 1 ? "" : "s"}, ${s.checked} checked, ${s.errors} error${s.errors === 1 ? "" : "s"}, ${s.warnings} warning${s.warnings === 1 ? "" : "s"}`,
    report.verdict,
  );
  for (const f of findings) {
    const where = `${f.pane === view ? "" : "old "}${f.line ? `${f.line}:${f.column}` : "-"}`;
    list.append(
      findingsItem(`${where} ${f.severity} ${f.label} ${f.path ?? ""}: ${f.message}`, `sev-${f.severity}`, () =>
        jump(f.pane, f.line, f.column),
      ),
    );
  }
}

function cell(row, value, cls) {
  const td = row.insertCell();
  td.textContent = value === undefined || value === null ? "" : typeof value === "number" ? String(+value.toPrecision(6)) : String(value);
  if (cls) td.className = cls;
}

function decide(policy) {
  const body = $("checks").tBodies[0];
  body.replaceChildren();
  $("reason").textContent = "";
  if (!policy.policy) {
    setStatus($("decision"), "the policy does not compile", "fail");
    return;
  }
  let decision;
  try {
    const chosen = policy.rollouts.length > 1 ? $("rollout-policy").value : undefined;
    decision = policy.policy.decide(text("rollout"), { env: $("env").value || undefined, policy: chosen });
  } catch (e) {
    setStatus($("decision"), `${e.name}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`, "fail");
    return;
  }
  setStatus($("decision"), `${decision.decision} → weight ${decision.weight}% (${decision.policy}${decision.env ? `, ${decision.env}` : ""})`);
  $("decision").classList.add(`decision-${decision.decision}`);
  $("reason").textContent = decision.reason;
  for (const c of decision.checks ?? []) {
    const row = body.insertRow();
    cell(row, c.critical ? `${c.name} (critical)` : c.name);
    cell(row, c.metric);
    cell(row, c.value);
    cell(row, c.bound);
    cell(row, c.baseline);
    cell(row, c.pValue);
    cell(row, c.result, `result-${c.result}`);
    cell(row, c.message);
  }
}

// --- updates: debounced, one pass over everything ---------------------------

let timer = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(update, 150);
}

function saveState() {
  const state = {
    policy: text("policy"),
    doc: text("doc"),
    old: $("old-toggle").checked ? text("old") : null,
    rollout: text("rollout"),
    env: $("env").value,
    rolloutPolicy: $("rollout-policy").value || undefined,
    tab: currentTab,
  };
  history.replaceState(null, "", `#${encodeState(state)}`);
}

function update() {
  clearTimeout(timer);
  const policy = currentPolicy();
  showPolicy(policy);
  fillEnvironments(policy);
  fillRollouts(policy);
  if (currentTab === "rollout") decide(policy);
  checkDocument(policy);
  saveState();
  document.body.dataset.updated = String(Number(document.body.dataset.updated ?? 0) + 1);
}

// --- controls ---------------------------------------------------------------

let currentTab = initial.tab === "rollout" ? "rollout" : "findings";
function selectTab(tab) {
  currentTab = tab;
  for (const name of ["findings", "rollout"]) {
    $(`panel-${name}`).hidden = name !== tab;
    $(`tab-${name}`).setAttribute("aria-selected", String(name === tab));
  }
}
for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => {
    selectTab(b.dataset.tab);
    update();
  });
}
selectTab(currentTab);

function rolloutPolicyFor(example) {
  const rollouts = library.policies.filter((p) => /^kind:\s*RolloutPolicy\s*$/m.test(p.text));
  const shared = (a, b) => [...a].findIndex((c, i) => c !== b[i]) >>> 0;
  return rollouts.reduce((best, p) => (shared(p.name, example) > shared(best.name, example) ? p : best));
}

function addGroup(label, kind, entries) {
  const group = document.createElement("optgroup");
  group.label = label;
  for (const e of entries) group.append(new Option(e.file, `${kind}:${e.name}`));
  $("examples").append(group);
}
addGroup("Policy: the built-in library", "policy", library.policies);
addGroup("Document: example configs", "doc", library.documents);
addGroup("Rollout: state + metrics", "rollout", library.rollouts);
$("examples").add(new Option("Policy: the whole built-in library", "library"), 1);

$("examples").addEventListener("change", (ev) => {
  const [kind, name] = ev.target.value.split(/:(.*)/s);
  ev.target.value = "";
  if (kind === "library") replace("policy", library.policies.map((p) => p.text.trimEnd()).join("\n---\n") + "\n");
  else if (kind === "policy") replace("policy", byName(library.policies, name).text);
  else if (kind === "doc") replace("doc", byName(library.documents, name).text);
  else if (kind === "rollout") {
    replace("rollout", byName(library.rollouts, name).text);
    // A policy to decide with: the library's rollout policy named most like the example.
    if (!currentPolicy().rollouts.length) replace("policy", rolloutPolicyFor(name).text);
    selectTab("rollout");
  }
  update();
});

$("env").addEventListener("change", update);
$("rollout-policy").addEventListener("change", update);
$("old-toggle").addEventListener("change", () => {
  const on = $("old-toggle").checked;
  $("old-pane").hidden = !on;
  if (on && text("old") === "") replace("old", text("doc")); // start from the current version
  update();
});
$("share").addEventListener("click", () => {
  saveState();
  navigator.clipboard?.writeText(location.href).catch(() => {});
});

$("loading").remove();
update();
