import { oxiosVitest } from "@oxios/tooling/vitest";

export default oxiosVitest({ testTimeout: 30_000 });
