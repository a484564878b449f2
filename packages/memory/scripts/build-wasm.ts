// Compiles src/hamming.wat into src/hamming-wasm.ts (the module's bytes, base64), so the
// package ships no build step for its WebAssembly. Run after changing the .wat:
//   pnpm --filter @oxios/memory build:wasm
// hamming-wasm.test.ts fails when the two disagree.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileHammingWat, hammingWasmSource } from "./compile-wasm.ts";

const bytes = await compileHammingWat();
const target = fileURLToPath(new URL("../src/hamming-wasm.ts", import.meta.url));
writeFileSync(target, hammingWasmSource(bytes));
console.log(`wrote ${target} (${bytes.length} bytes of WebAssembly)`);
