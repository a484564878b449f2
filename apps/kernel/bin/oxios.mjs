#!/usr/bin/env node
// The `oxios` command: the built kernel (dist/main.js) in this process.
await import("../dist/main.js").catch((error) => {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  // In a checkout of the repository nothing is built until `pnpm build` (or `pnpm dev`) ran.
  console.error(`oxios: ${error.message}\noxios: in the Oxios repository, run \`npx -y pnpm@12.4.2 build\` first`);
  process.exit(1);
});
