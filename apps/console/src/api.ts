/**
 * The kernel's public HTTP API, as the console uses it: JSON over `fetch` with the bearer
 * token, every failure an `ApiError` carrying the kernel's stable code and message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** The raw response of a GET (streams, JSON lines). */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code ?? "HTTP_ERROR", body.error?.message ?? text);
  } catch {
    return new ApiError(response.status, "HTTP_ERROR", text.length > 0 ? text : response.statusText);
  }
}

/** A client sending `token`; `onUnauthorized` runs on any 401 (the token stopped working). */
export function createApi(token: string, onUnauthorized: (error: ApiError) => void): Api {
  const raw = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    const response = await fetch(path, { ...init, headers });
    if (!response.ok) {
      const error = await failure(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return response;
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await raw(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return (await response.json()) as T;
  };
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    put: (path, body) => call("PUT", path, body),
    delete: (path) => call("DELETE", path),
    raw,
  };
}

/** Checks a token against the kernel: the status on success, an `ApiError` otherwise. */
export async function checkToken(token: string): Promise<void> {
  const response = await fetch("/api/status", { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw await failure(response);
}
