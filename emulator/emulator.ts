import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { Clock } from "./clock";
import { ERRORS } from "./contract";
import { control } from "./control";
import { Faults, RateLimiter, type RateLimit } from "./faults";
import { ApiFailure, normalisePath, type ApiRequest, type ApiResponse } from "./http";
import { credentialOf } from "./auth";
import { dispatch, routeFor } from "./routes";
import { Store, type SeedPasswords } from "./store";
import type { Context, Variants } from "./tokens";

export interface EmulatorOptions {
  /** 0 (default for tests) picks a free port. */
  port?: number;
  host?: string;
  /** Persist the store to this JSON file, written atomically on every change. */
  dataFile?: string;
  /** Serve the /__emulator/ control surface (reset, clock, faults, log, store). */
  control?: boolean;
  passwords?: SeedPasswords;
  variants?: Partial<Variants>;
  rateLimit?: RateLimit;
  /** Take the caller's address from X-Forwarded-For (tests of allow lists use this). */
  trustForwardedFor?: boolean;
  /** Serve HTTPS with this PEM key and certificate, as a real CommServe does. */
  tls?: { key: string; cert: string };
}

export interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  status: number | "reset" | "dropped";
  userName?: string;
  via?: "session" | "token";
  /** Bodies of create and modify only: they carry no secret. */
  body?: unknown;
}

const LOGGED_BODIES = /^\/v4\/accesstoken(\/\d+)?$/;

/** A flat Commvault error answer. */
const failure = (status: number, e: { code: number; message: string }): ApiResponse => ({
  status,
  body: { errorCode: e.code, errorMessage: e.message },
});

export class Emulator {
  readonly clock = new Clock();
  readonly faults = new Faults();
  readonly limiter: RateLimiter;
  readonly store: Store;
  readonly variants: Variants;
  readonly log: LoggedRequest[] = [];
  private seq = 0;

  constructor(readonly options: EmulatorOptions = {}) {
    this.store = new Store(options.dataFile, options.passwords ?? {});
    this.variants = this.startVariants();
    this.limiter = new RateLimiter(options.rateLimit);
  }

  private startVariants(): Variants {
    return { errorsAsHttp200: false, tokenTypeAsNames: false, omitAllowedIPsInList: false, omitDateHeader: false, ...this.options.variants };
  }

  get context(): Context {
    return { store: this.store, clock: this.clock, variants: this.variants };
  }

  /** Back to the seed users, no tokens, real time, no faults, empty log, the start-up variants. */
  reset(): void {
    this.store.reset();
    this.clock.reset();
    this.faults.clear();
    this.limiter.set(this.options.rateLimit);
    Object.assign(this.variants, this.startVariants());
    this.log.length = 0;
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Every answer is dated by the emulator's settable clock, as a real server's web front end
    // (IIS, Tomcat) dates it by the CommServe's; Node's own Date header would give the machine's.
    if (this.variants.omitDateHeader) res.sendDate = false;
    else res.setHeader("Date", new Date(this.clock.now() * 1000).toUTCString());
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://emulator");
    const path = normalisePath(url.pathname);
    const method = (req.method ?? "GET").toUpperCase();

    if (path?.startsWith("/__emulator")) {
      if (!this.options.control) return send(res, failure(404, ERRORS.noRoute));
      return send(res, control(this, method, path, url.searchParams, raw));
    }
    const entry: LoggedRequest = { seq: ++this.seq, at: this.clock.now(), method, path: path ?? url.pathname, status: 0 };
    this.log.push(entry);

    const latency = path && this.faults.take("latency", method, path);
    if (latency) await new Promise((r) => setTimeout(r, latency.delayMs));
    if (path && this.faults.take("reset", method, path)) {
      entry.status = "reset";
      req.socket.destroy();
      return;
    }
    const injected = path && this.faults.take("status", method, path);
    if (injected) {
      entry.status = injected.status!;
      const headers: Record<string, string> = injected.status === 429 ? { "Retry-After": String(injected.retryAfter ?? 1) } : {};
      return send(res, { ...failure(injected.status!, { code: ERRORS.internal.code, message: `Injected fault ${injected.status}` }), headers });
    }
    const wait = this.limiter.check(credentialOf(req.headers) ?? req.socket.remoteAddress ?? "anonymous");
    if (wait !== undefined && this.limiter.config) {
      entry.status = 429;
      return send(res, {
        ...failure(429, ERRORS.rateLimited),
        headers: {
          "Retry-After": String(wait),
          "X-RateLimit-Limit": String(this.limiter.config.limit),
          "X-RateLimit-Period": String(this.limiter.config.periodSeconds),
        },
      });
    }

    const response = this.respond(method, path, url.searchParams, raw, req, entry);
    if (path && this.faults.take("drop", method, path)) {
      // The change is committed; the caller never hears of it.
      entry.status = "dropped";
      req.socket.destroy();
      return;
    }
    entry.status = response.status;
    send(res, response);
  }

  private respond(method: string, path: string | undefined, query: URLSearchParams, raw: string, req: http.IncomingMessage, entry: LoggedRequest): ApiResponse {
    if (path === undefined) return failure(404, ERRORS.noRoute);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return { status: 400, body: { errorCode: ERRORS.badJson.code, errorMessage: ERRORS.badJson.message } };
    }
    const forwarded = this.options.trustForwardedFor ? req.headers["x-forwarded-for"] : undefined;
    const remote = typeof forwarded === "string" ? forwarded.split(",")[0]!.trim() : req.socket.remoteAddress;
    const apiReq: ApiRequest = { method, path, query, headers: req.headers, body, remote };
    if ((method === "POST" || method === "PUT") && LOGGED_BODIES.test(path)) entry.body = body;
    const route = routeFor(apiReq);
    try {
      const { response, caller } = dispatch(this.context, apiReq, route);
      if (caller) Object.assign(entry, { userName: caller.user.userName, via: caller.kind });
      return response;
    } catch (e) {
      if (!(e instanceof ApiFailure)) {
        return failure(500, ERRORS.internal);
      }
      const shape = route?.appErrors;
      const flat = { errorCode: e.code, errorMessage: e.message };
      if (this.variants.errorsAsHttp200 && shape && [400, 403, 404].includes(e.status)) {
        return { status: 200, body: shape === "nested" ? { error: flat } : flat };
      }
      return { status: e.status, body: flat };
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, r: ApiResponse): void {
  const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, {
    "Content-Type": typeof r.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...r.headers,
  });
  res.end(text);
}

export interface RunningEmulator {
  /** The API base, e.g. http://127.0.0.1:8400/commandcenter/api */
  url: string;
  port: number;
  emulator: Emulator;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    emulator.handle(req, res).catch(() => {
      if (!res.headersSent) send(res, failure(500, ERRORS.internal));
    });
  };
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${options.tls ? "https" : "http"}://${shownHost}:${port}/commandcenter/api`,
    port,
    emulator,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
