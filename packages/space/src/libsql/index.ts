/**
 * @module @oxios/space/libsql — the SpaceStore on a libsql database file (or on a libsql
 * `Database` the kernel shares with memory). Tables are prefixed `space_`/`conversation_`
 * and versioned in `space_migrations`.
 */
export {
  LibsqlSpaceStore,
  type LibsqlSpaceStoreOptions,
  type OpenLibsqlSpaceStoreOptions,
} from "./libsql-space-store.ts";
export { type Migration, SPACE_MIGRATIONS, SPACE_SCHEMA_VERSION } from "./migrations.ts";
