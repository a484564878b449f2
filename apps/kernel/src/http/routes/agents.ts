/** `/api/agents`: list agents, read one, kill one. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { SupervisorErrorCode } from "@oxios/supervisor";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { AgentSchema, IdParam } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function agentsRoutes(kernel: Pick<Kernel, "supervisor">) {
  const app = createRouter();
  const agentView = (agent: ReturnType<Kernel["supervisor"]["list"]>[number]) => ({
    id: agent.id,
    name: agent.name,
    status: agent.status,
    createdAt: agent.createdAt,
    runs: agent.runs,
    ...(agent.lastError ? { lastError: agent.lastError } : {}),
  });
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
