// Node entry: the wasm module (the build for speed) is read from beside this
// file and instantiated synchronously, so the API is ready once the import is.
import { readFileSync } from "node:fs";
import { initSync } from "./assay_wasm.js";

initSync({ module: readFileSync(new URL("./assay_wasm_bg.wasm", import.meta.url)) });

export { Policy, AssayError, PolicyError, InputError } from "./policy.js";

/** Already loaded in Node; kept so code shared with browsers can await it. */
export async function init() {}
