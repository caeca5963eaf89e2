// Runs a module built by `assay build` with plain WebAssembly: no assay
// library, no imports. Usage:
//   node run-module.mjs policy.wasm < request.json
//   node run-module.mjs policy.wasm manifest.yaml [env]   (a check of one file)
// Prints the module's JSON answer (docs/module-abi.md).
import { readFileSync } from "node:fs";

const [modulePath, inputPath, env = ""] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(modulePath), {});
const { memory, assay_alloc, assay_evaluate, assay_free } = instance.exports;

function call(request) {
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  const ptr = assay_alloc(bytes.length);
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  const packed = assay_evaluate(ptr, bytes.length);
  assay_free(ptr, bytes.length);
  // The answer's pointer is in the high 32 bits, its length in the low 32.
  const answerPtr = Number(BigInt.asUintN(64, packed) >> 32n);
  const answerLen = Number(BigInt.asUintN(32, packed));
  const answer = new TextDecoder().decode(new Uint8Array(memory.buffer, answerPtr, answerLen));
  assay_free(answerPtr, answerLen);
  return JSON.parse(answer);
}

const request = inputPath
  ? { call: "check", input: readFileSync(inputPath, "utf8"), file: inputPath, env }
  : JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(call(request)) + "\n");
