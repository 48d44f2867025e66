// Runs a wasm32-wasi program under Node's WASI (preview 1), with its exit
// status: `node --no-warnings Targets/wasm/run.mjs program.wasm`.
// The compile-and-compare harness (CrossTargetCompileTests) runs the
// WebAssembly SIMD images this way.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const wasi = new WASI({ version: 'preview1', args: [process.argv[2]], env: {} });
const module = await WebAssembly.compile(await readFile(process.argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
