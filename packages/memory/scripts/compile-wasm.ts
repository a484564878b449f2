/** Assembles src/hamming.wat with wabt, and renders the generated TypeScript file. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtModule from "wabt";

export async function compileHammingWat(): Promise<Uint8Array> {
  const wabt = await wabtModule();
  const path = fileURLToPath(new URL("../src/hamming.wat", import.meta.url));
  const parsed = wabt.parseWat("hamming.wat", readFileSync(path, "utf8"));
  try {
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

export function hammingWasmSource(bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString("base64");
  const lines = base64.match(/.{1,100}/g) ?? [];
  return `// Generated from hamming.wat by scripts/build-wasm.ts; do not edit.
/** The Hamming-distance WebAssembly module (see hamming.wat), base64. */
export const HAMMING_WASM_BASE64 =
${lines.map((line) => `  "${line}"`).join(" +\n")};
`;
}
