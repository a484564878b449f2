/** `/api/agents`: the agent profiles, list agents, read one, kill one. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { SupervisorErrorCode } from "@oxios/supervisor";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { AgentSchema, IdParam, ProfileSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function agentsRoutes(kernel: Pick<Kernel, "supervisor" | "control">) {
  const app = createRouter();
  const agentView = (agent: ReturnType<Kernel["supervisor"]["list"]>[number]) => ({
    id: agent.id,
    name: agent.name,
    status: agent.status,
    createdAt: agent.createdAt,
    runs: agent.runs,
    ...(agent.lastError ? { lastError: agent.lastError } : {}),
  });
  // Before /api/agents/{id}, so "profiles" is never read as an agent id.
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/agents/profiles",
      summary: "Agent profiles of config.toml ([agents.<name>]), as runs would use them now",
      description:
        'Example: `curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:4200/api/agents/profiles` → `{"profiles": [{"name": "release-notes", "model": "openai/gpt-4o-mini", "execAllow": ["git"], "workspace": "persistent", …}]}`',
      responses: { 200: json(z.object({ profiles: z.array(ProfileSchema) }), "Profiles") },
    }),
    (c) => c.json({ profiles: [...kernel.control.profiles()] }, 200),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/agents",
      summary: "Every agent",
      responses: { 200: json(z.object({ agents: z.array(AgentSchema) }), "Agents") },
    }),
    (c) => c.json({ agents: kernel.supervisor.list().map(agentView) }, 200),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/agents/{id}",
      summary: "One agent",
      request: { params: IdParam },
      responses: { 200: json(AgentSchema, "The agent"), 404: errors[404] },
    }),
    (c) => {
      const agent = kernel.supervisor.get(c.req.valid("param").id);
      if (agent === undefined) throw new KernelError(SupervisorErrorCode.agentNotFound, "no such agent");
      return c.json(agentView(agent), 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/agents/{id}/kill",
      summary: "Kill an agent (its run's signal aborts every tool)",
      request: { params: IdParam },
      responses: { 200: json(AgentSchema, "The agent after the kill"), 404: errors[404] },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (kernel.supervisor.get(id) === undefined)
        throw new KernelError(SupervisorErrorCode.agentNotFound, "no such agent");
      return c.json(agentView(await kernel.supervisor.kill(id, "killed over HTTP")), 200);
    },
  );
  return app;
}
