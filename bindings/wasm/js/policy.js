// The package's API over the wasm-bindgen glue (assay_wasm.js). It holds no
// logic: every call is a request of core's JSON call API (assay_core::api),
// and every answer comes back as a plain object or a thrown error.
import { Compiled } from "./assay_wasm.js";

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
function compiled(make) {
  needLoaded();
  try {
    return new Policy(token, make());
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
    throw new TypeError(`${value} at "${key}" is not a JSON number`);
  }
  return value;
}

/**
 * A request as JSON text; what JSON cannot hold (a cycle, a BigInt, with
 * `finiteOnly` NaN) is an InputError.
 */
function json(req, replacer) {
  try {
    return JSON.stringify(req, replacer);
  } catch (e) {
    // V8's messages name the type or the property, never a value.
    throw new InputError(`the input cannot be written as JSON: ${e.message}`, {
      hint: "pass plain objects, arrays, strings, finite numbers, booleans and null",
    });
  }
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

  constructor(key, compiled) {
    if (key !== token) throw new TypeError("use Policy.fromYaml(text) or Policy.defaults()");
    this.#compiled = compiled;
  }

  /**
   * Compiles one policy or a set: YAML text (one or more documents), or an
   * object of file name → YAML text.
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
    return compiled(() => Compiled.load(JSON.stringify(files)));
  }

  /** The built-in policy library (what `assay check` uses without `-p`). */
  static defaults() {
    return compiled(() => Compiled.defaults());
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
    const { env, old, file, oldFile } = options ?? {};
    const req = request({ call: "check", file, env, old: text(old, "old"), oldFile });
    const bytes = bytesOf(document);
    if (bytes === null) return this.#answer({ ...req, input: document }, "report", finiteOnly);
    // Bytes go to core as they are, so text that is not UTF-8 is a parse
    // failure at its line:col, as the CLI reports a file.
    return answerOf(JSON.parse(this.#live().callWithInput(json(req, finiteOnly), bytes)), "report");
  }

  /** Checks `base` after `patch` (texts), as `assay check --base --patch`. */
  validatePatch(base, patch, options) {
    const { patchType, env, baseFile = "base.yaml", patchFile = "patch.yaml" } = options ?? {};
    return this.#answer(
      request({
        call: "checkPatch",
        base: { file: baseFile, text: base },
        patch: { file: patchFile, text: patch },
        patchType,
        env,
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
    const { env, file } = options ?? {};
    const review = text(admissionReview, "the AdmissionReview");
    return this.#answer(request({ call: "review", review, file, env }), "review", finiteOnly);
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
