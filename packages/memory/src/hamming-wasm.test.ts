import { expect, it } from "vitest";
import { compileHammingWat, hammingWasmSource } from "../scripts/compile-wasm.ts";
import { HAMMING_WASM_BASE64 } from "./hamming-wasm.ts";

it("hamming-wasm.ts is hamming.wat compiled (run build:wasm after changing the .wat)", async () => {
  const bytes = await compileHammingWat();
  expect(Buffer.from(HAMMING_WASM_BASE64, "base64")).toEqual(Buffer.from(bytes));
  expect(hammingWasmSource(bytes)).toContain(HAMMING_WASM_BASE64.slice(0, 100));
});
