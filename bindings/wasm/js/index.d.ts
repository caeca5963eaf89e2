// Types of the assay-policy package. Reports, decisions and errors are the
// JSON of `assay check -o json` and `assay decide -o json` (docs/report.md, docs/rollout.md).

export type Severity = "error" | "warning";
export type Verdict = "pass" | "warn" | "fail";

/** One problem found in a document. */
export interface Finding {
  /** The rule's name; `schema` for JSON Schema errors, `parse` for input that does not parse. */
  rule: string;
  severity: Severity;
  /** Never holds a secret value: at most a 4-character prefix, the length and a fingerprint. */
  message: string;
  /** JSON pointer of the value at fault (`""` for the whole document). */
  path: string;
  /** 1-based position in the input text; absent for documents given as objects. */
  line?: number;
  column?: number;
}

/** The findings of one policy on one document (or a parse failure, with no `policy`). */
export interface DocResult {
  file?: string;
  /** 0-based index of the document in its YAML stream. */
  document: number;
  kind?: string;
  name?: string;
  namespace?: string;
  policy?: string;
  verdict: Verdict;
  findings: Finding[];
  /** Keys a patch changed (`validatePatch`). */
  changed?: string[];
}

export interface Summary {
  documents: number;
  checked: number;
  errors: number;
  warnings: number;
}

/** What `validate` returns: the same object as `assay check -o json`. */
export interface Report {
  version: 1;
  verdict: Verdict;
  summary: Summary;
  results: DocResult[];
}

export type Action = "promote" | "advance" | "hold" | "rollback";
export type Outcome = "pass" | "fail" | "nodata" | "inconclusive";

/** The rollout state the caller keeps between analyses. */
export interface RolloutState {
  weight: number;
  failedChecks?: number;
}

/** One check of a rollout decision. */
export interface CheckResult {
  name: string;
  metric: string;
  result: Outcome;
  /** The candidate's value. */
  value?: number;
  /** The limit that decided. */
  bound?: number;
  /** The baseline's value, for checks relative to it. */
  baseline?: number;
  pValue?: number;
  critical?: boolean;
  message: string;
}

/** What `decide` returns: the same object as `assay decide -o json`. */
export interface Decision {
  decision: Action;
  weight: number;
  state: { weight: number; failedChecks: number };
  checks: CheckResult[];
  reason: string;
  policy: string;
  env: string;
}

/** Metrics of one side of a rollout: numbers, and sample lists under `samples`. */
export interface RolloutMetrics {
  requests?: number;
  samples?: Record<string, number[]>;
  [metric: string]: number | null | Record<string, number[]> | undefined;
}

/** The input of `decide` (docs/rollout.md), as an object or its JSON text. */
export interface DecisionInput {
  env?: string;
  state: RolloutState;
  /** Both are required; a metric missing from either is no data for the checks that need it. */
  metrics: { baseline: RolloutMetrics; candidate: RolloutMetrics };
}

export interface PolicyInfo {
  name: string;
  kind: "ValidationPolicy" | "RolloutPolicy";
  file: string;
  /** The environments the policy names (its overrides and rules' `environments`), sorted; absent when none. */
  environments?: string[];
  /** What a validation policy checks; absent for rollout policies. */
  checks?: Array<"schema" | "embedded" | "rules" | "secrets">;
  /** The JSON pointers of the policy's embedded files; absent when none. */
  embedded?: string[];
  /** A validation policy's rules, in order, with their estimated CEL cost; absent when none. */
  rules?: RuleInfo[];
  /** The built-in secret rules the policy runs (docs/secrets.md); absent when `secrets` is off. */
  secretRules?: SecretRuleInfo[];
}

export interface SecretRuleInfo {
  name: string;
  severity: "error" | "warning";
  description: string;
}

export interface RuleInfo {
  name: string;
  severity: "error" | "warning";
  /** Its `description`, or else its static `message`; absent when it has neither. */
  description?: string;
  /**
   * The most CEL cost the rule's `expr`, `when` and `messageExpr` may spend
   * together on one document (docs/cel.md, "How much work a rule may do").
   * `"schema"`: every size it depends on is bounded by the policy; `"document
   * limits"`: only by the document limits, and the run's budget stops the rule.
   * `max` may be above `Number.MAX_SAFE_INTEGER`, and then is approximate.
   */
  estimatedCost: { max: number; boundedBy: "schema" | "document limits" };
}

/**
 * Text as bytes (a Buffer read from a file or a request body): read as
 * UTF-8. A document to validate that is not UTF-8 is a parse failure at its
 * line:col in the report, as the CLI reports a file; other inputs throw.
 */
export type Bytes = ArrayBufferView | ArrayBuffer;

/** A JSON value: what YAML and JSON documents parse into. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Limits by name (docs/limits.md, "Configuring limits"): a number (a count,
 * bytes, or seconds) or text such as `"64MiB"` or `"30s"`. Names may also be
 * written `celCost` or `cel_cost`; a name or value that sets no limit throws
 * InputError.
 */
export interface Limits {
  depth?: number | string;
  values?: number | string;
  "document-bytes"?: number | string;
  documents?: number | string;
  "cel-cost"?: number | string;
  "file-bytes"?: number | string;
  "run-bytes"?: number | string;
  "module-time"?: number | string;
  "module-memory"?: number | string;
  [name: string]: number | string | undefined;
}

/** Every limit in effect, by name; `module-time` in seconds. */
export interface LimitValues {
  depth: number;
  values: number;
  "document-bytes": number;
  documents: number;
  "cel-cost": number;
  "file-bytes": number;
  "run-bytes": number;
  "module-time": number;
  "module-memory": number;
}

export interface ValidateOptions {
  /** Environment name: selects per-environment params and rules. */
  env?: string;
  /** Limits of this call, over the policy's. */
  limits?: Limits;
  /** Previous versions (text, a list of documents or one document), seen by rules as `oldObject`. */
  old?: string | JsonValue | Bytes;
  /** File name reported in each result, as the CLI reports its input paths. */
  file?: string;
  /** File name under which `old` text that does not parse is reported (default `<old>`), as the CLI reports its `--old` file. */
  oldFile?: string;
}

export interface PatchOptions {
  patchType?: "merge" | "json";
  /** Limits of this call, over the policy's. */
  limits?: Limits;
  env?: string;
  baseFile?: string;
  patchFile?: string;
}

export interface DecideOptions {
  /** Wins over the input's `env`. */
  env?: string;
  /** The rollout policy's `metadata.name`; needed when the set has several. */
  policy?: string;
}

export interface FromYamlOptions {
  /** The file name errors are located in (default `policy.yaml`). */
  file?: string;
  /** The limits of every call on the policy (docs/limits.md). */
  limits?: Limits;
}

export interface DefaultsOptions {
  /** The limits of every call on the policy (docs/limits.md). */
  limits?: Limits;
}

/** One problem of a policy that does not compile. */
export interface PolicyProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  rule?: string;
  hint?: string;
}

/** Base class of the errors thrown by this package. Unknown locations are `null`. */
export class AssayError extends Error {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  /** The policy rule at fault, when there is one. */
  readonly rule: string | null;
  readonly hint: string | null;
}

/** A policy that does not compile. `message` has one `file:line:col: message` line per problem. */
export class PolicyError extends AssayError {
  readonly errors: PolicyProblem[];
}

/** A request that cannot be answered: an invalid rollout input, a bad option. */
export class InputError extends AssayError {}

/** An AdmissionReview v1 request, as the API server posts it to a webhook. */
export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  object?: JsonValue;
  oldObject?: JsonValue;
  dryRun?: boolean;
  [field: string]: unknown;
}

/** An AdmissionReview v1 response: what a webhook answers. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string; [field: string]: unknown };
  warnings?: string[];
  [field: string]: unknown;
}

/** The response echoes the request's apiVersion (v1beta1 is answered too). */
export interface AdmissionReview {
  apiVersion: "admission.k8s.io/v1" | "admission.k8s.io/v1beta1";
  kind: "AdmissionReview";
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface ReviewOptions {
  env?: string;
  /** Limits of this call, over the policy's. */
  limits?: Limits;
  /** File name errors in a review given as text are located in. */
  file?: string;
}

/** Raw answers of `Policy.call`. */
export type Answer =
  | { report: Report }
  | { decision: Decision }
  | { policies: PolicyInfo[] }
  | { review: AdmissionReview }
  | { error: { message: string; hint?: string | null; file?: string | null; line?: number | null; column?: number | null; rule?: string | null } };

/** A compiled policy set: compile once, call many times. */
export class Policy {
  private constructor();
  /** Compiles YAML text (one policy or several documents) or an object of file name → YAML text. Throws PolicyError. */
  static fromYaml(text: string | Record<string, string>, options?: FromYamlOptions): Policy;
  /** The built-in policy library. */
  static defaults(options?: DefaultsOptions): Policy;
  /** Every limit its calls check within, by name. */
  readonly limits: LimitValues;
  /** Checks YAML/JSON text (a stream of documents) or one document given as an object. */
  validate(document: string | JsonValue | Bytes, options?: ValidateOptions): Report;
  /** Checks `base` with `patch` applied, as `kubectl patch` would apply it. */
  validatePatch(base: string, patch: string, options?: PatchOptions): Report;
  /** A rollout decision. Throws InputError for an input that cannot be decided on. */
  decide(input: DecisionInput | string | Bytes, options?: DecideOptions): Decision;
  /** Answers an AdmissionReview v1 request with an AdmissionReview v1 response (a webhook's reply). */
  review(admissionReview: AdmissionReview | string | Bytes, options?: ReviewOptions): AdmissionReview;
  /** The policies of the set. */
  describe(): PolicyInfo[];
  /** One raw request of core's JSON call API. */
  call(request: { call: string; [field: string]: unknown }): Answer;
  /** Releases the wasm memory of the compiled set now; otherwise the garbage collector does, later. */
  free(): void;
  // Also `[Symbol.dispose]()` (calls free), where the runtime has Symbol.dispose;
  // not declared here so that consumers need no `esnext.disposable` lib.
}

/** Loads the wasm module. Browsers: done on import from beside the package's JS; call it with a URL or bytes to load from elsewhere. Node: a no-op. */
export function init(source?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
