/** `/api/git`: the state repository — its log, tags, an integrity check, and restoring a file from a commit. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { StateStoreErrorCode } from "@oxios/state-store";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { ErrorSchema, GitCommitSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

/** A tag name or a full commit id; short ids and expressions are not resolved. */
const REF = /^(?:[0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;
const STATE_PATH = /^([a-z0-9][a-z0-9_-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)\.(json|md)$/;

const URL = "http://127.0.0.1:4200";

export function gitRoutes(kernel: Pick<Kernel, "git" | "state">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/git/log",
      summary: "Commits of the state repository, newest first",
      request: { query: z.object({ depth: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(z.object({ commits: z.array(GitCommitSchema) }), "Commits") },
    }),
    async (c) => {
      const commits = await kernel.git.log({ depth: c.req.valid("query").depth ?? 20 });
      return c.json(
        {
          commits: commits.map((commit) => ({
            oid: commit.oid,
            message: commit.message,
            author: commit.author.name,
            timestamp: commit.author.timestamp,
          })),
        },
        200,
      );
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/git/tags",
      summary: "Tags of the state repository",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/git/tags\``,
      responses: { 200: json(z.object({ tags: z.array(z.string()) }), "Tags") },
    }),
    async (c) => c.json({ tags: (await kernel.git.listTags()).sort() }, 200),
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/git/tags",
      summary: "Tag a commit of the state repository (default the newest)",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name": "before-upgrade"}' ${URL}/api/git/tags\``,
      request: {
        body: {
          content: {
            "application/json": {
              schema: z.object({
                name: z
                  .string()
                  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)
                  .openapi({ example: "before-upgrade" }),
                commit: z
                  .string()
                  .regex(REF)
                  .optional()
                  .openapi({ description: "a tag or full commit id; default HEAD" }),
              }),
            },
          },
          required: true,
        },
      },
      responses: {
        201: json(z.object({ name: z.string(), commit: z.string() }), "Tagged"),
        404: errors[404],
        409: {
          description: "The tag exists (GIT_ALREADY_EXISTS)",
          content: { "application/json": { schema: ErrorSchema } },
        },
        422: errors[422],
      },
    }),
    async (c) => {
      const { name, commit } = c.req.valid("json");
      await kernel.git.tag(name, commit ?? "HEAD");
      return c.json({ name, commit: commit ?? "HEAD" }, 201);
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/git/verify",
      summary: "Check every commit, tree and blob of the state repository",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/git/verify\` → \`{"ok": true, "commits": 12, "objects": 57, "problems": []}\``,
      responses: {
        200: json(
          z.object({ ok: z.boolean(), commits: z.number(), objects: z.number(), problems: z.array(z.string()) }),
          "Verification",
        ),
      },
    }),
    async (c) => c.json(await kernel.git.verify(), 200),
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/git/restore",
      summary: "Restore a state file as it was at a commit or tag (saved and committed)",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"path": "seeds/0190….json", "commit": "before-upgrade"}' ${URL}/api/git/restore\``,
      request: {
        body: {
          content: {
            "application/json": {
              schema: z.object({
                path: z.string().regex(STATE_PATH).openapi({ example: "seeds/0190f3c2-….json" }),
                commit: z.string().regex(REF).openapi({ description: "a tag or full commit id" }),
              }),
            },
          },
          required: true,
        },
      },
      responses: {
        200: json(z.object({ path: z.string(), commit: z.string(), restoredAs: z.string().optional() }), "Restored"),
        404: errors[404],
        422: errors[422],
      },
    }),
    async (c) => {
      const { path, commit } = c.req.valid("json");
      const [, category, name, extension] = STATE_PATH.exec(path) as RegExpExecArray;
      const bytes = await kernel.git.fileAtCommit(path, commit);
      if (bytes === undefined) throw new KernelError(StateStoreErrorCode.gitNotFound, `${path} is not in ${commit}`);
      const text = new TextDecoder().decode(bytes);
      let value: unknown = text;
      if (extension === "json") {
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new KernelError(StateStoreErrorCode.corrupt, `${path} at ${commit} is not JSON`, { cause: error });
        }
      }
      // Through the state store, so the restore is ordered with other writes to the key.
      await kernel.state.save(category as string, name as string, value, {
        format: extension === "md" ? "md" : "json",
      });
      const committed = await kernel.git.commit([path], `restore ${path} from ${commit}`);
      return c.json({ path, commit, ...(committed === undefined ? {} : { restoredAs: committed.oid }) }, 200);
    },
  );
  return app;
}
