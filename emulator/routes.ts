import { authenticate, type Caller } from "./auth";
import { ERRORS, SERVICE_ROOT_BODY } from "./contract";
import { fail, ok, type ApiRequest, type ApiResponse, type Envelope } from "./http";
import { login, logout, renewLoginToken } from "./sessions";
import { createToken, deleteToken, listTokens, modifyToken, renewToken, type Context } from "./tokens";
import { listUsers, whoAmI } from "./users";

export interface Route {
  method: string;
  pattern: RegExp;
  /** Absent: the call needs no Authtoken (login, renew). */
  handle: (ctx: Context, caller: Caller | undefined, req: ApiRequest, id: string) => ApiResponse;
  authenticated: boolean;
  /** How the section-6 variant turns this call's application errors into HTTP 200: the shape the SDK reads for it. */
  appErrors?: Envelope;
}

const routes: Route[] = [
  // The SDK's reachability check before it logs in (contract section 1).
  { method: "GET", pattern: /^\/$/, authenticated: false, handle: () => ok(SERVICE_ROOT_BODY) },
  { method: "POST", pattern: /^\/login$/, authenticated: false, handle: (c, _u, r) => login(c.store, c.clock, r) },
  // Open: the SDK sends it with the expired token still in its Authtoken header.
  { method: "POST", pattern: /^\/renewlogintoken$/, authenticated: false, handle: (c, _u, r) => renewLoginToken(c.store, c.clock, r) },
  // Open: it authenticates by itself, to answer a token it does not know as Commvault documents.
  { method: "POST", pattern: /^\/logout$/, authenticated: false, handle: (c, _u, r) => logout(c.store, c.clock, r) },
  { method: "GET", pattern: /^\/user$/, authenticated: true, handle: (c) => listUsers(c.store) },
  { method: "POST", pattern: /^\/whoami$/, authenticated: true, handle: (_c, u) => whoAmI(u!) },
  { method: "GET", pattern: /^\/v2\/whoami$/, authenticated: true, handle: (_c, u) => whoAmI(u!) },
  { method: "POST", pattern: /^\/v4\/accesstoken\/renew$/, authenticated: false, appErrors: "flat", handle: (c, _u, r) => renewToken(c, r) },
  { method: "POST", pattern: /^\/v4\/accesstoken$/, authenticated: true, appErrors: "nested", handle: (c, u, r) => createToken(c, u!, r) },
  { method: "GET", pattern: /^\/v4\/accesstoken$/, authenticated: true, appErrors: "flat", handle: (c, u, r) => listTokens(c, u!, r) },
  { method: "PUT", pattern: /^\/v4\/accesstoken\/([^/]+)$/, authenticated: true, appErrors: "nested", handle: (c, u, r, id) => modifyToken(c, u!, r, id) },
  { method: "DELETE", pattern: /^\/v4\/accesstoken\/([^/]+)$/, authenticated: true, appErrors: "flat", handle: (c, u, _r, id) => deleteToken(c, u!, id) },
];

export interface Dispatch {
  response: ApiResponse;
  caller?: Caller;
}

export function routeFor(req: ApiRequest): Route | undefined {
  return routes.find((r) => r.method === req.method && r.pattern.test(req.path));
}

/** Authenticates (unless the route is open), then runs the handler. Throws ApiFailure. */
export function dispatch(ctx: Context, req: ApiRequest, route: Route | undefined): Dispatch {
  const open = route && !route.authenticated;
  // Unknown paths still authenticate first, as a real server does: a Custom token calling
  // outside its endpoints is refused before the path is looked up.
  const caller = open ? undefined : authenticate(ctx.store, ctx.clock, req);
  if (!route) throw fail.of(404, ERRORS.noRoute);
  const id = route.pattern.exec(req.path)?.[1] ?? "";
  return { response: route.handle(ctx, caller, req, id), caller };
}
