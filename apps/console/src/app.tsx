/**
 * The console shell: sign-in until a token works, then the navigation, the live-stream
 * indicator and the page of the current route. A 401 from any call signs out with the reason.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { type ApiError, createApi } from "./api.ts";
import { SessionContext } from "./context.ts";
import { EventHub, type StreamState } from "./events.ts";
import { AgentsPage } from "./pages/agents.tsx";
import { ApprovalsPage } from "./pages/approvals.tsx";
import { AuditPage } from "./pages/audit.tsx";
import { ChatPage } from "./pages/chat.tsx";
import { EventsPage } from "./pages/events.tsx";
import { MemoryPage } from "./pages/memory.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { RunDetailPage } from "./pages/run-detail.tsx";
import { RunsPage } from "./pages/runs.tsx";
import { SchedulesPage } from "./pages/schedules.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { href, useRoute } from "./router.ts";
import { forgetToken, storedToken, storeToken, takeTokenFromFragment } from "./token.ts";

const PAGES = [
  ["overview", "Overview"],
  ["runs", "Runs"],
  ["approvals", "Approvals"],
  ["memory", "Memory"],
  ["events", "Events"],
  ["audit", "Audit"],
  ["agents", "Agents"],
  ["schedules", "Schedules"],
  ["chat", "Chat"],
] as const;

function initialToken(): string | undefined {
  const fromFragment = takeTokenFromFragment(location, history);
  if (fromFragment !== undefined) storeToken(fromFragment);
  return fromFragment ?? storedToken();
}

export function App() {
  const [token, setToken] = useState(initialToken);
  const [signedOut, setSignedOut] = useState<string | undefined>(undefined);
  // A `#token=` link opened in a tab that already shows the console: same document, new hash.
  useEffect(() => {
    const onHash = () => {
      const fromFragment = takeTokenFromFragment(location, history);
      if (fromFragment === undefined) return;
      storeToken(fromFragment);
      setSignedOut(undefined);
      setToken(fromFragment);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  if (token === undefined) {
    return (
      <SignIn
        notice={signedOut}
        onSignedIn={(value) => {
          storeToken(value);
          setSignedOut(undefined);
          setToken(value);
        }}
      />
    );
  }
  return (
    <Console
      token={token}
      onSignOut={(reason) => {
        forgetToken();
        setSignedOut(reason);
        setToken(undefined);
      }}
    />
  );
}

function Console(props: { token: string; onSignOut: (reason?: string) => void }) {
  const { token, onSignOut } = props;
  const session = useMemo(() => {
    const api = createApi(token, (error: ApiError) =>
      onSignOut(`The kernel no longer accepts this token (${error.code}). Sign in again.`),
    );
    return { api, hub: new EventHub(token) };
  }, [token, onSignOut]);
  const [stream, setStream] = useState<StreamState>(session.hub.state);
  useEffect(() => {
    const off = session.hub.onState(setStream);
    session.hub.start();
    return () => {
      off();
      void session.hub.stop();
    };
  }, [session]);
  const route = useRoute();
  const page = route[0] ?? "overview";
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Oxios</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([id, label]) => (
              <li key={id}>
                <a href={href(id)} aria-current={page === id ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`stream stream-${stream}`} role="status" aria-label="Live updates">
          {stream === "live" ? "Live" : stream === "connecting" ? "Connecting…" : "Reconnecting…"}
        </span>
        <button type="button" class="quiet" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function Page(props: { route: string[] }) {
  const [page, id] = props.route;
  switch (page ?? "overview") {
    case "runs":
      return id === undefined ? <RunsPage /> : <RunDetailPage taskId={id} />;
    case "approvals":
      return <ApprovalsPage />;
    case "memory":
      return <MemoryPage />;
    case "events":
      return <EventsPage />;
    case "audit":
      return <AuditPage />;
    case "agents":
      return <AgentsPage />;
    case "schedules":
      return <SchedulesPage />;
    case "chat":
      return <ChatPage />;
    default:
      return <OverviewPage />;
  }
}
