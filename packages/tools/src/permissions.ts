/**
 * Who may do what: capability templates (worker ⊂ standard ⊂ operator ⊂ supervisor) grant
 * tool families; a role (user, superuser, admin) caps the template and decides shell mode and
 * approvals; per-agent permissions narrow tools, paths, network and exec further.
 *
 * Defaults are chosen so an agent with nothing but a workspace directory can work: role
 * `user`, template `standard`, paths confined to its own workspace, network off, exec of a
 * small allowlist of read-only binaries in structured mode.
 */

/** A family of tools a template grants. Tools from other packages may name their own. */
export type ToolFamily =
  | "fs.read"
  | "fs.write"
  | "exec"
  | "memory.read"
  | "memory.write"
  | "space.read"
  | "space.write"
  | "kernel.read"
  | "kernel.control"
  | "audit.read"
  | "skill.read"
  | "schedule.read"
  | "schedule.write"
  | "mcp"
  | "a2a"
  | "browser"
  | (string & {});

export type CapabilityTemplate = "worker" | "standard" | "operator" | "supervisor";
export type Role = "user" | "superuser" | "admin";

export const TEMPLATE_ORDER: readonly CapabilityTemplate[] = ["worker", "standard", "operator", "supervisor"];

const worker: ToolFamily[] = ["fs.read", "fs.write", "memory.read", "skill.read"];
// MCP servers, remote agents and the browser reach outside the kernel like exec does; the
// browser and A2A tools also declare network use, so they need `permissions.network` too.
const standard: ToolFamily[] = [...worker, "exec", "memory.write", "space.read", "mcp", "a2a", "browser"];
const operator: ToolFamily[] = [
  ...standard,
  "space.write",
  "kernel.read",
  "audit.read",
  "schedule.read",
  "schedule.write",
];
const supervisor: ToolFamily[] = [...operator, "kernel.control"];

/** The families each template grants; each template includes everything of the one before. */
export const CAPABILITY_TEMPLATES: Readonly<Record<CapabilityTemplate, readonly ToolFamily[]>> = {
  worker,
  standard,
  operator,
  supervisor,
};

/** The highest template a role may use; a higher one is capped to this. */
export const ROLE_CEILING: Readonly<Record<Role, CapabilityTemplate>> = {
  user: "standard",
  superuser: "operator",
  admin: "supervisor",
};

/** Binaries exec may run in structured mode when an agent names none: read-only inspection. */
export const DEFAULT_EXEC_BINARIES: readonly string[] = [
  "cat",
  "date",
  "diff",
  "echo",
  "false",
  "head",
  "ls",
  "pwd",
  "sort",
  "tail",
  "true",
  "uniq",
  "wc",
];

/** Per-agent permissions as configured; every field is optional. */
export interface AgentPermissions {
  /**
   * `allow` (when present) limits the agent to these tool names; `deny` removes names. Both
   * take globs (`*` any run of characters, `?` one), such as `memory_*` or `mcp__github__*`.
   */
  tools?: { allow?: string[]; deny?: string[] };
  /**
   * Path globs, absolute or relative to the workspace. `allow` defaults to the workspace and
   * everything below it; extra entries add roots. `deny` wins over `allow`.
   */
  paths?: { allow?: string[]; deny?: string[] };
  /** Whether tools that declare network access may run. Default false. */
  network?: boolean;
  /** exec policy: structured-mode binary allowlist (bare names) and whether shell mode is on. */
  exec?: { binaries?: string[]; shell?: boolean };
  /**
   * Tool names (or globs) whose every call needs an approval for this agent, whatever its
   * role: an operator asked for them explicitly (the admin role skips only the approvals a
   * tool asks for itself, such as shell mode).
   */
  approvalRequired?: string[];
}

/** The calling agent as the gate sees it. */
export interface AgentIdentity {
  agentId: string;
  name?: string;
  sessionId?: string;
  /** The agent profile it runs under (approval records and audit entries name it). */
  profile?: string;
  /** The run this session belongs to (a direct run's task id), named in approval records. */
  runId?: string;
  /** The run's OpenTelemetry trace id, carried on the tool events of its calls. */
  traceId?: string;
  role?: Role;
  template?: CapabilityTemplate;
  /** The agent's own directory; created if missing. Relative tool paths resolve here. */
  workspaceDir: string;
  permissions?: AgentPermissions;
}

/** Permissions after defaults, the role ceiling and path resolution. */
export interface EffectivePermissions {
  role: Role;
  /** The template asked for. */
  template: CapabilityTemplate;
  /** The template in force after the role ceiling. */
  effectiveTemplate: CapabilityTemplate;
  families: ReadonlySet<ToolFamily>;
  /** Tool name globs (see `toolNameMatches`). */
  tools: { allow: ReadonlySet<string> | undefined; deny: ReadonlySet<string> };
  /** Globs over real paths (workspace and glob bases resolved through symlinks). */
  paths: { allow: readonly string[]; deny: readonly string[] };
  network: boolean;
  exec: { binaries: ReadonlySet<string>; shell: boolean };
  /** Tool name globs whose calls need an approval. */
  approvalRequired: ReadonlySet<string>;
}

/** Applies defaults and the role ceiling; `paths` must already be real globs. */
export function effectivePermissions(
  agent: AgentIdentity,
  realPaths: { allow: readonly string[]; deny: readonly string[] },
  templates: Readonly<Record<CapabilityTemplate, readonly ToolFamily[]>> = CAPABILITY_TEMPLATES,
): EffectivePermissions {
  const role = agent.role ?? "user";
  const template = agent.template ?? "standard";
  const ceiling = ROLE_CEILING[role];
  const effectiveTemplate = TEMPLATE_ORDER.indexOf(template) <= TEMPLATE_ORDER.indexOf(ceiling) ? template : ceiling;
  const permissions = agent.permissions ?? {};
  return {
    role,
    template,
    effectiveTemplate,
    families: new Set(templates[effectiveTemplate]),
    tools: {
      allow: permissions.tools?.allow === undefined ? undefined : new Set(permissions.tools.allow),
      deny: new Set(permissions.tools?.deny ?? []),
    },
    paths: realPaths,
    network: permissions.network ?? false,
    exec: {
      binaries: new Set(permissions.exec?.binaries ?? DEFAULT_EXEC_BINARIES),
      shell: permissions.exec?.shell ?? false,
    },
    approvalRequired: new Set(permissions.approvalRequired ?? []),
  };
}

/**
 * Whether `name` matches one of the tool name globs: `*` is any run of characters, `?` one
 * character, everything else itself (tool names are `[a-zA-Z0-9_-]`, so nothing else is special).
 */
export function toolNameMatches(patterns: Iterable<string>, name: string): boolean {
  for (const pattern of patterns) {
    if (pattern === name) return true;
    if (!pattern.includes("*") && !pattern.includes("?")) continue;
    const source = pattern
      .split("")
      .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    if (new RegExp(`^${source}$`).test(name)) return true;
  }
  return false;
}

/** True when `role` is at least `minimum`. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  const order: Role[] = ["user", "superuser", "admin"];
  return order.indexOf(role) >= order.indexOf(minimum);
}
