/** What every page reads: the API client and the shared event stream of the signed-in console. */

import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import type { Api } from "./api.ts";
import type { EventHub, KernelEvent } from "./events.ts";

export interface Session {
  api: Api;
  hub: EventHub;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error("useSession outside the signed-in console");
  return session;
}

/** Calls `handler` (the latest one) for every kernel event while the component is mounted. */
export function useKernelEvents(handler: (event: KernelEvent) => void): void {
  const { hub } = useSession();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => hub.listen((event) => latest.current(event)), [hub]);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Loads `load()` now and whenever `reload` is called or a listed dependency changes. */
export function useLoad<T>(load: (api: Api) => Promise<T>, dependencies: unknown[] = []): Loaded<T> {
  const { api } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    load(api).then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [api, generation, ...dependencies]);
  return { data, error, reload: () => setGeneration((value) => value + 1) };
}
