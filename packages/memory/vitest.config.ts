import { oxiosVitest } from "@oxios/tooling/vitest";

export default oxiosVitest();
