/**
 * The one door to the database. Every statement goes through `Sql`, which always hands
 * libsql its parameters as an array: libsql panics the whole process (an uncatchable Rust
 * panic) when a statement's only argument is a lone Buffer or typed array. It also caches
 * prepared statements and turns driver errors into `MEMORY_STORAGE_FAILED`.
 */

import { KernelError } from "@oxios/core";
import type Database from "libsql";
import { MEMORY_ERROR_CODES } from "./errors.ts";

export type SqlValue = string | number | bigint | null | Uint8Array;

type LibsqlDatabase = InstanceType<typeof Database>;
type Statement = ReturnType<LibsqlDatabase["prepare"]>;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

function storageError(error: unknown, sql: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KernelError(MEMORY_ERROR_CODES.storageFailed, `memory database: ${message}`, {
    cause: error,
    details: { statement: sql.slice(0, 200), sqliteCode: (error as { code?: unknown })?.code },
  });
}

/** Turns a typed array into a Buffer view (no copy) so libsql binds it as a BLOB. */
export function blob(bytes: Uint8Array | Float32Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads a stored float32 BLOB (libsql returns an ArrayBuffer; other drivers a Uint8Array) as a copy. */
export function floatsFromBlob(value: unknown): Float32Array {
  if (value instanceof ArrayBuffer) return new Float32Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    return new Float32Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  throw new Error("stored vector is not a BLOB");
}

export class Sql {
  readonly #db: LibsqlDatabase;
  readonly #statements = new Map<string, Statement>();

  constructor(db: LibsqlDatabase) {
    this.#db = db;
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  all<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
    try {
      return this.#prepare(sql).all([...params]) as Row[];
    } catch (error) {
      throw storageError(error, sql);
    }
  }

  get<Row>(sql: string, params: readonly SqlValue[] = []): Row | undefined {
    try {
      return this.#prepare(sql).get([...params]) as Row | undefined;
    } catch (error) {
      throw storageError(error, sql);
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): RunResult {
    try {
      return this.#prepare(sql).run([...params]) as RunResult;
    } catch (error) {
      throw storageError(error, sql);
    }
  }

  /** Runs parameterless SQL (DDL, pragmas) that may hold several statements. */
  exec(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw storageError(error, sql);
    }
  }

  /** Runs `body` in one IMMEDIATE transaction; commits when it returns, rolls back when it throws. */
  transaction<T>(body: () => T): T {
    try {
      return this.#db.transaction(body).immediate();
    } catch (error) {
      throw storageError(error, "transaction");
    }
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  close(): void {
    this.#statements.clear();
    try {
      this.#db.close();
    } catch (error) {
      throw storageError(error, "close");
    }
  }
}
