// Browser (and other ES module host) entry: fetches assay_wasm_web.wasm, the
// build for size, from beside this file before the import resolves
// (top-level await). A page that serves the .wasm elsewhere calls
// `await init(urlOrBytes)` itself.
import load from "./assay_wasm.js";
import { setLoadError } from "./policy.js";

export { Policy, AssayError, PolicyError, InputError } from "./policy.js";

/** Loads the wasm module from `source` (URL, Response, bytes or WebAssembly.Module). */
export async function init(source) {
  try {
    await load({ module_or_path: source ?? new URL("./assay_wasm_web.wasm", import.meta.url) });
    setLoadError(null);
  } catch (e) {
    setLoadError(e);
    throw e;
  }
}

await init().catch(() => {});
