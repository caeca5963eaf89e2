// No secret leaks through an error (docs/secrets.md, "Redaction"): credentials
// planted where errors quote their input, through validate, validatePatch,
// review, decide and fromYaml, and no 8-character piece of any of them in the
// thrown errors (message, stack, every field) or in the results.
// cli/tests/leaks.rs plants the same in the CLI, test_leaks.py in Python.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AssayError, Policy } from "../pkg/node.js";

const TOKEN = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
const AWS_KEY = "AKIA2ASSAYLEAK7QXZ3T";
// Not token-shaped: secret only because of the key it is under.
const PASSWORD = "Tr0ub4dor&3AssayLeak";
const PEM_LINES = [
  "MIIEowIBAAKCAQEAassayFAKEfakeFAKEkeyBODYline0123456789abcdefABCDEF",
  "q8Zr2Lx7Vw4Ns1Kp9Jd6Hf3Gb0Tm5Ye8Uc2Ra7Wi4Oo1Pl6Qk3Mj9Nh0Bg5Vf2Cd",
];
// A kubeconfig's bearer token: secret because it is the value of `token:`.
const BEARER = "kc7Rq2Zt9LmX4vB8nW1pY6sD3fG0hJ5aQe";
const SECRETS = [TOKEN, AWS_KEY, PASSWORD, BEARER, ...PEM_LINES];

const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_LINES[0]}\n${PEM_LINES[1]}\n-----END RSA PRIVATE KEY-----\n`;
const KUBECONFIG = `apiVersion: v1\nkind: Config\nusers:\n  - name: ci\n    user:\n      token: ${BEARER}\n`;
const indent = (text, n) =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => " ".repeat(n) + l + "\n")
    .join("");

const CONFIG_MAP =
  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaky}\ndata:\n" +
  `  GITHUB_TOKEN: ${TOKEN}\n  AWS_ACCESS_KEY_ID: ${AWS_KEY}\n  DB_PASSWORD: '${PASSWORD}'\n` +
  `  tls.key: |\n${indent(PEM, 4)}  kubeconfig: |\n${indent(KUBECONFIG, 4)}`;
const CONFIG_MAP_OBJECT = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "leaky" },
  data: { GITHUB_TOKEN: TOKEN, AWS_ACCESS_KEY_ID: AWS_KEY, DB_PASSWORD: PASSWORD, "tls.key": PEM, kubeconfig: KUBECONFIG },
};

const RULES = {
  token: "'token ' + object.data.GITHUB_TOKEN",
  "token-tail": "'tail ' + object.data.GITHUB_TOKEN.substring(5)",
  aws: "'aws ' + object.data.AWS_ACCESS_KEY_ID",
  password: "'password ' + object.data.DB_PASSWORD",
  "password-piece": "'piece ' + object.data.DB_PASSWORD.substring(2, 14)",
  pem: "'key ' + object.data['tls.key']",
  "pem-line": "'line ' + object.data['tls.key'].split('\\n')[2]",
  kubeconfig: "'config ' + object.data.kubeconfig",
  bearer: "'bearer ' + object.data.kubeconfig.split('token: ')[1]",
};
const LEAKY_POLICY =
  "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: leaky}\nspec:\n  match: {kinds: [ConfigMap]}\n  rules:\n" +
  Object.entries(RULES)
    .map(([name, expr]) => `    - name: ${name}\n      expr: 'false'\n      messageExpr: ${JSON.stringify(expr)}\n`)
    .join("");
const leaky = Policy.fromYaml(LEAKY_POLICY, { file: "leaky.yaml" });
const library = Policy.defaults();

/** The first 8-character piece of a planted secret (no whitespace at its ends) that `text` shows. */
function shownPiece(text) {
  for (const secret of SECRETS) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      if (piece.trim() === piece && text.includes(piece)) return piece;
    }
  }
  return null;
}

function assertClean(text, what) {
  const piece = shownPiece(text);
  assert.equal(piece, null, `${what}: \`${piece}\` of a planted secret is shown in\n${text}`);
}

/** Everything an error shows: message, stack, every own field. */
function exposed(e) {
  if (!(e instanceof Error)) return JSON.stringify(e);
  const fields = Object.fromEntries(Object.getOwnPropertyNames(e).map((k) => [k, e[k]]));
  return [String(e), e.message, e.stack, JSON.stringify(fields), e.cause ? exposed(e.cause) : ""].join("\n");
}

/** What a call shows: its result, or what it threw (an AssayError or a TypeError). */
function outcome(f) {
  try {
    return JSON.stringify(f());
  } catch (e) {
    assert.ok(e instanceof Error, String(e));
    return `threw ${e.name}\n${exposed(e)}`;
  }
}

const HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\ndata:\n";
const ESCAPED_PEM = JSON.stringify(PEM);
const BROKEN = {
  token: `${HEAD}  GITHUB_TOKEN: ${TOKEN}: oops\n`,
  aws: `${HEAD}  AWS_ACCESS_KEY_ID: "${AWS_KEY}\n`,
  password: `${HEAD}  DB_PASSWORD: [${PASSWORD}\n`,
  "password-quoted": `${HEAD}  DB_PASSWORD: '${PASSWORD}' trailing\n`,
  pem: `${HEAD}  tls.key: ${ESCAPED_PEM} x\n`,
  "pem-block": `${HEAD}  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    ${PEM_LINES[0]}\n\t${PEM_LINES[1]}\n`,
  kubeconfig: `${HEAD}  kubeconfig: {users: [{user: {token: ${BEARER} ]}\n`,
  "duplicate-key": `${HEAD}  ${TOKEN}: 1\n  ${TOKEN}: 2\n`,
  alias: `${HEAD}  GITHUB_TOKEN: *${TOKEN}\n`,
  "second-document": `${CONFIG_MAP}---\n${HEAD}  GITHUB_TOKEN: ${TOKEN}: oops\n`,
  json: `{"apiVersion": "v1", "kind": "ConfigMap", "data": {"GITHUB_TOKEN": "${TOKEN}", "DB_PASSWORD": "${PASSWORD}" "BEARER": "${BEARER}"}}\n`,
  "json-unterminated": `{"data": {"DB_PASSWORD": "${PASSWORD}", "tls.key": ${ESCAPED_PEM}`,
};

test("syntax errors on a secret's line show no piece of it", () => {
  for (const [name, text] of Object.entries(BROKEN)) {
    for (const policy of [library, leaky]) {
      for (const [how, call] of [
        ["text", () => policy.validate(text, { file: "input.yaml" })],
        ["bytes", () => policy.validate(Buffer.from(text), { file: "input.yaml" })],
        ["old", () => policy.validate(CONFIG_MAP, { old: text, oldFile: "old.yaml" })],
        ["patch base", () => policy.validatePatch(text, '{"data": {"x": "1"}}', { patchType: "merge" })],
        ["patch", () => policy.validatePatch(CONFIG_MAP, text, { patchType: "merge" })],
      ]) {
        const shown = outcome(call);
        // A patch's base with a second document is patched in its first.
        if (!how.startsWith("patch")) assert.ok(shown.includes('"parse"'), `${name} ${how}: ${shown}`);
        assertClean(shown, `${name} ${how}`);
      }
    }
  }
  // Invalid UTF-8 on the secret's line.
  const bytes = Buffer.concat([Buffer.from(`data:\n  DB_PASSWORD: ${PASSWORD}`), Buffer.from([0xff, 0x0a])]);
  assertClean(outcome(() => library.validate(bytes)), "invalid UTF-8");
});

test("messageExprs that print secrets are redacted", () => {
  for (const doc of [CONFIG_MAP, CONFIG_MAP_OBJECT, Buffer.from(CONFIG_MAP)]) {
    const report = leaky.validate(doc);
    const rules = new Set(report.results.flatMap((r) => r.findings.map((f) => f.rule)));
    assert.deepEqual([...rules].sort(), Object.keys(RULES).sort());
    assertClean(JSON.stringify(report), "report");
  }
  // A JSON patch whose `test` quotes a secret, and a patch adding one.
  const patches = [
    [`[{"op": "test", "path": "/data/DB_PASSWORD", "value": "${PASSWORD}x"}]`, "json"],
    [`[{"op": "replace", "path": "/data/${TOKEN}", "value": "${PASSWORD}"}]`, "json"],
    [`{"data": {"DB_PASSWORD": "${PASSWORD}2", "kubeconfig": ${JSON.stringify(KUBECONFIG)}}}`, "merge"],
  ];
  for (const [patch, patchType] of patches) {
    assertClean(outcome(() => leaky.validatePatch(CONFIG_MAP, patch, { patchType })), patch);
  }
});

test("values JSON cannot hold, under secret names, are refused without the names", () => {
  for (const doc of [{ data: { [TOKEN]: NaN } }, { data: { DB_PASSWORD: PASSWORD, [AWS_KEY]: Infinity } }]) {
    const shown = outcome(() => library.validate(doc));
    assert.ok(shown.startsWith("threw"), shown);
    assertClean(shown, JSON.stringify(Object.keys(doc.data)));
  }
  const cyclic = { data: { DB_PASSWORD: PASSWORD } };
  cyclic.data[TOKEN] = cyclic;
  assertClean(outcome(() => library.validate(cyclic)), "cycle");
  assertClean(outcome(() => library.validate({ data: { [TOKEN]: 10n } })), "BigInt");
});

const admission = (object) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", operation: "CREATE", userInfo: { username: "ci" }, object },
});

test("reviews and review errors are redacted", () => {
  for (const policy of [library, leaky]) {
    const request = admission(CONFIG_MAP_OBJECT);
    for (const review of [request, JSON.stringify(request), Buffer.from(JSON.stringify(request))]) {
      const shown = outcome(() => policy.review(review));
      assert.ok(shown.includes('"allowed":false'), shown);
      assertClean(shown, "review");
    }
  }
  const malformed = [
    { apiVersion: TOKEN, kind: "AdmissionReview", request: {} },
    { apiVersion: "admission.k8s.io/v1", kind: AWS_KEY },
    { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u", object: PASSWORD, password: PASSWORD } },
    `apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {uid: "${TOKEN}`,
    `{"apiVersion": "admission.k8s.io/v1",\n "request": {"object": {"data": {"DB_PASSWORD": "${PASSWORD}" "x": 1}}}}\n`,
    `apiVersion: admission.k8s.io/v1\nrequest:\n  object:\n    data: {token: ${BEARER}: x}\n`,
    admission({ data: { [TOKEN]: NaN } }),
  ];
  for (const review of malformed) {
    const shown = outcome(() => leaky.review(review, { file: "review.yaml" }));
    assert.ok(shown.startsWith("threw"), shown);
    assertClean(shown, JSON.stringify(review));
  }
});

test("decide errors on inputs named by secrets are redacted", () => {
  const baseline = { requests: 1000 };
  const inputs = [
    { state: { weight: 10, [TOKEN]: 1 }, metrics: { baseline, candidate: baseline } },
    { state: { weight: 10 }, metrics: { baseline: { [TOKEN]: 1 }, candidate: { [AWS_KEY]: 2 } } },
    { state: { weight: 10 }, metrics: { baseline: { api_token: PASSWORD }, candidate: { db_password: BEARER } } },
    { state: { weight: TOKEN }, metrics: { baseline, candidate: baseline } },
    { state: { weight: 10, password: PASSWORD }, metrics: { baseline, candidate: baseline } },
    { state: { weight: 10 }, metrics: { baseline, candidate: baseline }, [AWS_KEY]: {} },
    `{"state": {"weight": 10, "password": "${PASSWORD}"}, "metrics": {`,
  ];
  for (const input of inputs) {
    for (const options of [{ policy: "fraud-v2-canary" }, { policy: TOKEN }]) {
      assertClean(outcome(() => library.decide(input, options)), JSON.stringify([input, options]));
    }
  }
});

test("policy errors that quote a token are redacted", () => {
  const head = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: bad}\nspec:\n";
  const bodies = [
    `  rules:\n    - name: r\n      expr: object.data.x == ${TOKEN} +\n`,
    `  rules:\n    - name: r\n      expr: "'${AWS_KEY}' =="\n`,
    `  rules:\n    - name: r\n      expr: 'false'\n      messageExpr: "${TOKEN}("\n`,
    `  rules:\n    - name: r\n      expr: object.${TOKEN}.${AWS_KEY} ++ 1\n`,
    `  rules: ${TOKEN}\n`,
    `  ${TOKEN}: 1\n`,
    `  rules:\n    - name: r\n      expr: ${TOKEN}: x\n`,
  ];
  for (const body of bodies) {
    for (const make of [() => Policy.fromYaml(head + body), () => Policy.fromYaml({ "a.yaml": head + body })]) {
      let error = null;
      try {
        make();
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof AssayError, `${body}: ${error}`);
      assertClean(exposed(error), body);
    }
  }
});
