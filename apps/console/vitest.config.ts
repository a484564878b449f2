import { oxiosVitest } from "@oxios/tooling/vitest";

// The browser tests drive the built console in Debian Chromium against a real kernel process.
export default oxiosVitest({ include: ["test/**/*.test.ts"] });
