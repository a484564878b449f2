/** Sign-in: the API token, checked against the kernel before it is kept. */

import { useState } from "preact/hooks";
import { ApiError, checkToken } from "../api.ts";
import { message } from "../format.ts";

export function SignIn(props: { notice: string | undefined; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await checkToken(token.trim());
      props.onSignedIn(token.trim());
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? "The kernel refused this token (401 UNAUTHORIZED). Use the token in $OXIOS_HOME/api-token, or run `oxios console` for a signed-in link."
          : `Could not reach the kernel: ${message(failure)}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Oxios console</h1>
      <p>Sign in with the kernel's API token. It stays in this browser tab only.</p>
      {props.notice === undefined ? null : <p role="status">{props.notice}</p>}
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}
