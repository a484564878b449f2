/** `/api/cluster`: the kernel nodes sharing this kernel's served database. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";

const URL = "http://127.0.0.1:4200";

const ClusterNodeSchema = z
  .object({
    id: z.string().openapi({ example: "node-a" }),
    url: z.string().openapi({ example: "http://10.0.0.5:4200" }),
    heartbeatAgeMs: z.number().int().openapi({ description: "Since the node's last heartbeat, in ms" }),
    live: z
      .boolean()
      .openapi({ description: "It heartbeat within cluster_lease_ms; a node that is not live holds nothing" }),
    runs: z.number().int().openapi({ description: "Runs it holds a live lease on" }),
    self: z.boolean().openapi({ description: "The node that answered" }),
  })
  .openapi("ClusterNode");

const ClusterSchema = z
  .object({
    clustered: z
      .boolean()
      .openapi({ description: "Whether database_url is served (sqld): only then is the kernel a cluster node" }),
    node: z.string().nullable().openapi({ description: "This kernel's node_id; null on a file database" }),
    nodes: z.array(ClusterNodeSchema),
  })
  .openapi("Cluster");

export function clusterRoutes(kernel: Pick<Kernel, "cluster">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/cluster",
      summary: "The kernel nodes sharing this database: id, URL, heartbeat age, runs held",
      description: `Every node registered in the served database, by id, also ones that stopped (\`live\` false). On a file database the kernel is no cluster node: \`clustered\` false, no nodes. Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/cluster\``,
      responses: { 200: json(ClusterSchema, "The cluster's nodes") },
    }),
    (c) => {
      const cluster = kernel.cluster;
      if (cluster === undefined) return c.json({ clustered: false, node: null, nodes: [] }, 200);
      return c.json({ clustered: true, node: cluster.id, nodes: cluster.nodes() }, 200);
    },
  );
  return app;
}
