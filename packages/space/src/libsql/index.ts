/**
 * @module @oxios/space/libsql — the SpaceStore on a libsql database through `@oxios/database`
 * (a URL it opens, or a `Database` the kernel shares with memory). Tables are prefixed
 * `space_`/`conversation_`; their schema versions are recorded under `space_`.
 */
export { LibsqlSpaceStore, type LibsqlSpaceStoreOptions } from "./libsql-space-store.ts";
export { SPACE_MIGRATIONS, SPACE_SCHEMA_VERSION } from "./migrations.ts";
