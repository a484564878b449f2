/**
 * `securedRoute()`: `createRoute()` for a route behind the API token. It fills what every
 * secured route repeats in the OpenAPI document: the bearer `security` requirement and the
 * answers of the middleware in front of the handler — 401 and 429 (`requireToken`)
 * and, when the route takes a body, 400 and 413 (`bodyGuard`). The middleware itself is
 * mounted by path in `app.ts`; `app.test.ts` checks that the document and the middleware agree.
 */

import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { errors } from "./openapi-responses.ts";

/** The name of the security scheme `app.ts` registers. */
export const BEARER_AUTH = "bearerAuth";

const authResponses = { 401: errors[401], 429: errors[429] };
const bodyGuardResponses = { 400: errors[400], 413: errors[413] };

type SecuredRoute<R extends Omit<RouteConfig, "security">> = R & {
  security: Array<Record<string, string[]>>;
  responses: R["responses"] &
    typeof authResponses &
    (R["request"] extends { body: object } ? typeof bodyGuardResponses : unknown);
};

export function securedRoute<P extends string, R extends Omit<RouteConfig, "path" | "security"> & { path: P }>(
  route: R,
): ReturnType<typeof createRoute<P, SecuredRoute<R>>> {
  const takesBody = route.request?.body !== undefined;
  // The spread loses the route's own response types, which type its handler's answers.
  return createRoute({
    ...route,
    security: [{ [BEARER_AUTH]: [] }],
    responses: { ...route.responses, ...(takesBody ? bodyGuardResponses : {}), ...authResponses },
  } as SecuredRoute<R>);
}
