// The package's API over the wasm-bindgen glue (assay_wasm.js). It holds no
// logic: every call is a request of core's JSON call API (assay_core::api),
// and every answer comes back as a plain object or a thrown error.
import { Compiled, readLimits } from "./assay_wasm.js";

/** Base class of the errors this package throws. */
export class AssayError extends Error {
  constructor(message, fields = {}) {
    super(message);
    // Set on each class, not read from `new.target.name`: bundlers minify class names.
    this.name = "AssayError";
    this.file = fields.file ?? null;
    this.line = fields.line ?? null;
    this.column = fields.column ?? null;
    this.rule = fields.rule ?? null;
    this.hint = fields.hint ?? null;
  }
}

/** A policy that does not compile; `errors` lists every problem found. */
export class PolicyError extends AssayError {
  constructor(message, fields = {}) {
    super(message, fields);
    this.name = "PolicyError";
    this.errors = fields.errors ?? [];
  }
}

/** A request the engine cannot answer: a rollout input that is not valid, a bad option. */
export class InputError extends AssayError {
  constructor(message, fields = {}) {
    super(message, fields);
    this.name = "InputError";
  }
}

let loadError = null;

/** Entry points record why the wasm module did not load; calls then say so. */
export function setLoadError(error) {
  loadError = error;
}

function needLoaded() {
  if (loadError !== null) {
    throw new AssayError(
      `the assay wasm module did not load: ${loadError.message ?? loadError}`,
      { hint: "serve assay_wasm_web.wasm beside the package's JS, or call `await init(urlOrBytes)` first" },
    );
  }
}

function thrown(error, Kind) {
  const e = error?.error ?? {};
  return new Kind(e.message ?? "unknown error", e);
}

/** A compile error comes from the wasm side as the error answer's JSON text. */
function compiled(make, limits) {
  needLoaded();
  // Read first: a limit that sets nothing throws before anything is compiled.
  if (limits !== undefined && limits !== null) limitsOf(limits);
  try {
    return new Policy(token, make(), limits === undefined || limits === null ? undefined : kebabNames(limits));
  } catch (e) {
    if (typeof e === "string") throw thrown(JSON.parse(e), PolicyError);
    throw e;
  }
}

const token = Symbol("assay.Policy");

/** The bytes of a Buffer, typed array or ArrayBuffer; `null` for anything else. */
function bytesOf(value) {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes (a Buffer read from a file or a request body) as text; other values as they are. */
function text(value, what) {
  const bytes = bytesOf(value);
  if (bytes === null) return value;
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InputError(`${what} is not valid UTF-8`, { hint: "save it as UTF-8, or pass text" });
  }
}

function answerOf(answer, key) {
  if (answer.error !== undefined) throw thrown(answer, InputError);
  return answer[key];
}

/**
 * Refuses NaN and infinities in documents, which JSON.stringify would make
 * null: Python refuses them too. (In rollout metrics they are no data, and
 * null is what they become, in both hosts.)
 */
function finiteOnly(key, value) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    // Not the key: a document's keys may be anything, a token too.
    throw new NotFinite(`${value} is not a JSON number`);
  }
  return value;
}

class NotFinite extends TypeError {}

/**
 * A request as JSON text; what JSON cannot hold (a cycle, a BigInt, with
 * `finiteOnly` NaN) is an InputError.
 */
function json(req, replacer) {
  try {
    return JSON.stringify(req, replacer);
  } catch (e) {
    throw new InputError(`the input cannot be written as JSON: ${unwritable(e)}`, {
      hint: "pass plain objects, arrays, strings, finite numbers, booleans and null",
    });
  }
}

/**
 * Why JSON.stringify failed, in words that quote nothing of the input:
 * V8's message for a cycle names its properties, and a `toJSON` may throw
 * any text, while a document's keys and values may hold a secret.
 */
function unwritable(e) {
  if (e instanceof NotFinite) return e.message;
  if (e instanceof RangeError) return "it is nested too deeply";
  const message = String(e?.message ?? "");
  if (message.includes("circular")) return "it holds a cycle";
  if (message.includes("BigInt")) return "it holds a BigInt";
  return `writing a value threw ${e?.name ?? "an error"}`;
}

/**
 * Every limit of a `limits` object (docs/limits.md), the others at their
 * defaults; a name or value that sets no limit is an InputError.
 */
function limitsOf(limits) {
  if (limits === null || typeof limits !== "object" || Array.isArray(limits)) {
    throw new TypeError("`limits` is an object of limit names to values, e.g. { documents: 500000 }");
  }
  try {
    return JSON.parse(readLimits(json(limits, finiteOnly)));
  } catch (e) {
    if (typeof e === "string") throw thrown(JSON.parse(e), InputError);
    throw e;
  }
}

/**
 * `limits` with its names written as docs/limits.md writes them
 * (`celCost` and `cel_cost` are `cel-cost`), so that a call's own
 * limits replace the policy's of the same name however either is spelt.
 */
function kebabNames(limits) {
  const out = {};
  for (const [name, value] of Object.entries(limits)) {
    out[name.trim().replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/_/g, "-").toLowerCase()] = value;
  }
  return out;
}

/** Drops `undefined` and `null` options, so core's defaults apply. */
function request(fields) {
  const out = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/**
 * A compiled policy set. Compile once, call many times. Its memory lives in
 * the wasm heap: `free()` releases it at once (or `using policy = ...`); a
 * policy that is dropped without `free()` is released by the garbage
 * collector (FinalizationRegistry), at a time of its choosing.
 */
export class Policy {
  #compiled;
  /** The limits of `fromYaml`/`defaults`, as given; `undefined`: the defaults. */
  #limits;

  constructor(key, compiled, limits) {
    if (key !== token) throw new TypeError("use Policy.fromYaml(text) or Policy.defaults()");
    this.#compiled = compiled;
    this.#limits = limits;
  }

  /** Every limit this policy's calls check within, by name (docs/limits.md). */
  get limits() {
    return limitsOf(this.#limits ?? {});
  }

  /** The `limits` of a request: the policy's, with a call's own over them. */
  #limitsWith(own) {
    if (own === undefined || own === null) return this.#limits;
    if (typeof own !== "object" || Array.isArray(own)) {
      throw new TypeError("`limits` is an object of limit names to values, e.g. { documents: 500000 }");
    }
    return { ...this.#limits, ...kebabNames(own) };
  }

  /**
   * Compiles one policy or a set: YAML text (one or more documents), or an
   * object of file name → YAML text. `options.limits` (`{documents: 500000,
   * "cel-cost": 2e7}`, docs/limits.md) are the limits of every call on it;
   * a call's own `options.limits` go over them.
   */
  static fromYaml(text, options) {
    options ??= {};
    let files;
    if (typeof text === "string") {
      files = [[options.file ?? "policy.yaml", text]];
    } else if (text !== null && typeof text === "object" && !Array.isArray(text)) {
      files = Object.entries(text);
      for (const [name, body] of files) {
        if (typeof body !== "string") throw new TypeError(`policy file \`${name}\`: its text must be a string`);
      }
    } else {
      throw new TypeError("Policy.fromYaml takes YAML text or an object of file name → YAML text");
    }
    return compiled(() => Compiled.load(JSON.stringify(files)), options.limits);
  }

  /**
   * The built-in policy library (what `assay check` uses without `-p`);
   * `options.limits` as for `fromYaml`.
   */
  static defaults(options) {
    return compiled(() => Compiled.defaults(), options?.limits);
  }

  /**
   * One raw call of core's JSON API: the request object in, the answer
   * object out (`{report}`, `{decision}`, `{policies}`, `{review}` or `{error}`).
   */
  call(req) {
    return this.#call(req);
  }

  #call(req, replacer) {
    return JSON.parse(this.#live().call(json(req, replacer)));
  }

  #live() {
    if (this.#compiled === null) throw new AssayError("this policy was freed", { hint: "compile it again" });
    return this.#compiled;
  }

  #answer(req, key, replacer) {
    return answerOf(this.#call(req, replacer), key);
  }

  /**
   * Checks YAML/JSON text (a stream of documents) or one document given as
   * an object. The report is what `assay check -o json` prints; `old` text
   * that does not parse is a parse failure in it, under `oldFile`.
   */
  validate(document, options) {
    const { env, old, file, oldFile, limits } = options ?? {};
    const req = request({ call: "check", file, env, old: text(old, "old"), oldFile, limits: this.#limitsWith(limits) });
    const bytes = bytesOf(document);
    if (bytes === null) return this.#answer({ ...req, input: document }, "report", finiteOnly);
    // Bytes go to core as they are, so text that is not UTF-8 is a parse
    // failure at its line:col, as the CLI reports a file.
    return answerOf(JSON.parse(this.#live().callWithInput(json(req, finiteOnly), bytes)), "report");
  }

  /** Checks `base` after `patch` (texts), as `assay check --base --patch`. */
  validatePatch(base, patch, options) {
    const { patchType, env, baseFile = "base.yaml", patchFile = "patch.yaml", limits } = options ?? {};
    return this.#answer(
      request({
        call: "checkPatch",
        base: { file: baseFile, text: base },
        patch: { file: patchFile, text: patch },
        patchType,
        env,
        limits: this.#limitsWith(limits),
      }),
      "report",
    );
  }

  /**
   * A rollout decision from `{state, metrics, env?}` (an object or its JSON
   * text), as `assay decide -o json` prints it.
   */
  decide(input, options) {
    const { env, policy } = options ?? {};
    return this.#answer(request({ call: "decide", input: text(input, "the rollout input"), env, policy }), "decision");
  }

  /**
   * Answers an AdmissionReview v1 request (the object a webhook is posted,
   * or its JSON/YAML text) with the AdmissionReview response to send back.
   */
  review(admissionReview, options) {
    const { env, file, limits } = options ?? {};
    const review = text(admissionReview, "the AdmissionReview");
    return this.#answer(request({ call: "review", review, file, env, limits: this.#limitsWith(limits) }), "review", finiteOnly);
  }

  /** The policies of the set: name, kind and file. */
  describe() {
    return this.#answer({ call: "describe" }, "policies");
  }

  /** Releases the compiled set's wasm memory now; the policy cannot be used after. */
  free() {
    if (this.#compiled !== null) {
      this.#compiled.free();
      this.#compiled = null;
    }
  }

  [Symbol.dispose ?? Symbol.for("Symbol.dispose")]() {
    this.free();
  }
}
