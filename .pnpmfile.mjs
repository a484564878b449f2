// Shapes the package.json that `pnpm pack` and `pnpm publish` put into a tarball: users get the
// built files only, so the workspace-only `@oxios/source` export condition (TypeScript sources,
// not in the tarball), the scripts and the development dependencies are left out.

/** Removes the `@oxios/source` condition from an `exports` map, at any depth. */
function withoutSourceCondition(exports) {
  if (exports === null || typeof exports !== "object") return exports;
  if (Array.isArray(exports)) return exports.map(withoutSourceCondition);
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== "@oxios/source")
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  );
}

export const hooks = {
  beforePacking(pkg) {
    const packed = { ...pkg, exports: withoutSourceCondition(pkg.exports) };
    delete packed.devDependencies;
    delete packed.scripts;
    return packed;
  },
};
