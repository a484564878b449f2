/**
 * Per-async-flow storage, used to know which locks the current flow holds.
 *
 * Node, Bun and Deno all provide `AsyncLocalStorage` through `node:async_hooks`; it is loaded
 * with a dynamic import so this package has no static Node dependency. Where it is missing
 * (a browser, a worker without Node compatibility) the documented fallback applies: flows
 * cannot be told apart, so held-lock tracking and the lock-order check are off, and
 * `asyncContextSupport()` says why.
 */

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, callback: () => R): R;
}

type AsyncLocalStorageConstructor = new <T>() => AsyncLocalStorageLike<T>;

export interface AsyncContextSupport {
  readonly available: boolean;
  readonly reason?: string;
}

let storageConstructor: AsyncLocalStorageConstructor | undefined;
let support: AsyncContextSupport;

try {
  const specifier = "node:async_hooks";
  const module = (await import(/* @vite-ignore */ specifier)) as {
    AsyncLocalStorage?: AsyncLocalStorageConstructor;
  };
  storageConstructor = module.AsyncLocalStorage;
  support =
    storageConstructor === undefined
      ? { available: false, reason: "node:async_hooks has no AsyncLocalStorage" }
      : { available: true };
} catch (error) {
  support = {
    available: false,
    reason: `node:async_hooks could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/** Whether per-flow storage works on this runtime, and why not when it does not. */
export function asyncContextSupport(): AsyncContextSupport {
  return support;
}

/**
 * A value scoped to an async flow; `undefined` everywhere when the runtime lacks support.
 * Throws: nothing of its own (`run` passes `callback`'s error through). Abort: takes no signal.
 */
export class AsyncContext<T> {
  readonly #storage: AsyncLocalStorageLike<T> | undefined =
    storageConstructor === undefined ? undefined : new storageConstructor<T>();

  get(): T | undefined {
    return this.#storage?.getStore();
  }

  run<R>(value: T, callback: () => R): R {
    return this.#storage === undefined ? callback() : this.#storage.run(value, callback);
  }
}
