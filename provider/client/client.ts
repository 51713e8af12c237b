import * as http from "node:http";
import * as https from "node:https";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import type { z } from "zod";
import { CommvaultError, CreateAnswerLostError, commvaultError, notFromCommvault, statusSpeaksForItself, type FailureInput } from "./errors";
import { parseHttpDate } from "./http-date";
import { Redactor } from "./redact";
import { DEFAULT_RETRY, backoffMs, type RetryPolicy } from "./retry";
import * as S from "./schemas";
import type { ClientHooks, ClientSettings, HeaderStyle } from "./settings";

/** Fields a create may carry (contract section 4). Times are epoch seconds. */
export interface CreateTokenRequest {
  tokenName: string;
  tokenType?: number;
  renewableUntilTimestamp?: number;
  tokenExpiryTimestamp?: number;
  apiEndpoints?: string[];
  userId?: number;
  allowedIPs?: string[];
}

/** A modify is a patch: only the fields present change. */
export type ModifyTokenRequest = Partial<Omit<CreateTokenRequest, "userId">>;

export interface CommvaultUser {
  userId: number;
  userName: string;
  userType?: string;
  enabled?: boolean;
}

/**
 * How a call may be repeated. `safe`: reads and idempotent writes. `create`: before a retry
 * that may follow a committed create, look the token up so a lost answer never makes a second
 * token. `once`: renew, where a repeat of a committed call would replay an old pair and revoke
 * the token, so only failures that provably never reached the server are retried.
 */
type RetryMode = "safe" | "create" | "once";

interface Call<T extends z.ZodTypeAny> {
  operation: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  params?: Record<string, string | number>;
  body?: unknown;
  authenticated: boolean;
  mode: RetryMode;
  schema: T;
  /** Runs before a create is tried again; throws when the first try turned out to succeed. */
  beforeRetry?: () => Promise<void>;
}

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "EAI_AGAIN"]);

/** Whether a failed call may still have been carried out by the server (its answer was lost). */
export function mayHaveCommitted(e: CommvaultError): boolean {
  if (e.networkCode !== undefined) return !NOT_SENT_CODES.has(e.networkCode) && e.kind !== "tls";
  return e.status === 502 || e.status === 503 || e.status === 504;
}

export class CommvaultClient {
  private readonly http: AxiosInstance;
  private readonly policy: RetryPolicy;
  private readonly redactor = new Redactor();
  private readonly headerStyle: HeaderStyle;
  private session?: Promise<string>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private serverDate?: number;
  /** When (this.now(), ms) the answer that dated serverDate came. */
  private serverDateAt = 0;
  /** Whether the server answered since the last forgetServerClock (with a Date header or not). */
  private answered = false;

  constructor(
    private readonly settings: ClientSettings,
    private readonly hooks: ClientHooks = {},
  ) {
    this.redactor.add(settings.password, Buffer.from(settings.password, "utf8").toString("base64"));
    this.policy = { ...DEFAULT_RETRY, ...settings.retry };
    this.headerStyle = settings.headerStyle ?? "qsdk";
    this.sleep = hooks.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = hooks.random ?? Math.random;
    this.now = hooks.now ?? Date.now;
    this.http = axios.create({
      baseURL: settings.url.replace(/\/+$/, ""),
      timeout: settings.timeoutMs ?? 30_000,
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      validateStatus: () => true,
      // Keep-alive saves a TLS handshake per call against a real CommServe.
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({
        keepAlive: true,
        ca: settings.caBundle,
        rejectUnauthorized: !settings.insecureSkipVerify,
      }),
      maxRedirects: 0,
    });
  }

  /**
   * The server's clock as the `Date` header of its latest answer gave it (epoch seconds), or
   * undefined when no answer had a readable one. A fact read from the server, never the provider's
   * "now": to the second and rounded down, so it never runs ahead of the server's own clock.
   */
  serverClock(): number | undefined {
    return this.serverDate;
  }

  /**
   * The server's clock now as its latest Date header tells it: that header plus the time since
   * its answer came (a wait since, such as a create's grace, does not make the server look behind).
   */
  serverClockNow(): number | undefined {
    return this.serverDate === undefined ? undefined : this.serverDate + Math.floor(Math.max(0, this.now() - this.serverDateAt) / 1000);
  }

  /** Whether the server has answered since the run began: if so and serverClock() is undefined, its answers carry no readable Date. */
  heardFrom(): boolean {
    return this.answered;
  }

  /** A new run learns the server's clock anew (a test may have moved it since). */
  forgetServerClock(): void {
    this.serverDate = undefined;
    this.answered = false;
  }

  /** Text with every secret this client has seen replaced; for callers building their own messages. */
  redact(text: string): string {
    return this.redactor.scrub(text);
  }

  async whoAmI(): Promise<{ userId: number; userName: string }> {
    return this.call({ operation: "who-am-I", method: "GET", path: "/v2/WhoAmI", authenticated: true, mode: "safe", schema: S.WhoAmIResponse });
  }

  async listUsers(): Promise<CommvaultUser[]> {
    const res = await this.call({ operation: "list users", method: "GET", path: "/User", authenticated: true, mode: "safe", schema: S.UsersResponse });
    return res.users.map((u) => ({ userId: u.userEntity.userId, userName: u.userEntity.userName, userType: u.userType, enabled: u.enabled }));
  }

  async listTokens(userId?: number): Promise<S.TokenListEntry[]> {
    const res = await this.call({
      operation: `list access tokens${userId === undefined ? "" : ` of user ${userId}`}`,
      method: "GET",
      path: "/V4/AccessToken",
      params: userId === undefined ? undefined : { userId },
      authenticated: true,
      mode: "safe",
      schema: S.ListResponse,
    });
    return res.tokens;
  }

  async createToken(req: CreateTokenRequest): Promise<S.CreatedToken> {
    const operation = `create access token "${req.tokenName}"`;
    const res = await this.call({
      operation,
      method: "POST",
      path: "/V4/AccessToken",
      body: req,
      authenticated: true,
      mode: "create",
      schema: S.CreateResponse,
      beforeRetry: async () => {
        const name = req.tokenName.toLowerCase();
        const found = (await this.listTokens(req.userId)).find((t) => t.tokenName.toLowerCase() === name);
        if (found) throw new CreateAnswerLostError({ kind: "transient", operation }, found.accessTokenId, found.userId, found);
      },
    });
    this.redactor.add(res.tokenInfo.accessToken, res.tokenInfo.refreshToken);
    return res.tokenInfo;
  }

  async modifyToken(accessTokenId: number, patch: ModifyTokenRequest): Promise<S.ModifiedToken> {
    const res = await this.written(accessTokenId, this.call({
      operation: `modify access token ${accessTokenId}`,
      method: "PUT",
      path: `/V4/AccessToken/${accessTokenId}`,
      body: patch,
      authenticated: true,
      mode: "safe",
      schema: S.ModifyResponse,
    }));
    return res.tokenInfo;
  }

  async deleteToken(accessTokenId: number): Promise<void> {
    await this.written(
      accessTokenId,
      this.call({
        operation: `delete access token ${accessTokenId}`,
        method: "DELETE",
        path: `/V4/AccessToken/${accessTokenId}`,
        authenticated: true,
        mode: "safe",
        schema: S.applicationFree,
      }),
    );
  }

  /** Tells the hooks when a write that may free a name has ended, however it ended. */
  private async written<T>(accessTokenId: number, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } finally {
      this.hooks.onWrite?.(accessTokenId);
    }
  }

  async renewToken(accessToken: string, refreshToken: string): Promise<S.CreatedToken> {
    this.redactor.add(accessToken, refreshToken);
    const res = await this.call({
      operation: "renew access token",
      method: "POST",
      path: "/V4/AccessToken/Renew",
      body: { accessToken, refreshToken },
      authenticated: false,
      mode: "once",
      schema: S.RenewResponse,
    });
    this.redactor.add(res.accessToken, res.refreshToken);
    return res;
  }

  /** Ends the session, if there is one. Failures are ignored: the session times out anyway. */
  async logout(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      await this.http.post("/Logout", undefined, { headers: this.authHeaders(await session) });
    } catch {
      // Nothing to do: an unreachable server cannot be told.
    }
  }

  private authHeaders(token: string): Record<string, string> {
    const bare = token.replace(/^QSDK\s+/i, "");
    if (this.headerStyle === "bearer") return { Authorization: `Bearer ${bare}` };
    return { Authtoken: this.headerStyle === "bare" ? bare : token };
  }

  /** One login shared by every concurrent call; a failed login is forgotten so the next call retries. */
  private sessionToken(): Promise<string> {
    if (!this.session) {
      const attempt = this.login();
      this.session = attempt;
      attempt.catch(() => {
        if (this.session === attempt) this.session = undefined;
      });
    }
    return this.session;
  }

  private async login(): Promise<string> {
    const body = {
      username: this.settings.username,
      password: Buffer.from(this.settings.password, "utf8").toString("base64"),
    };
    const data = await this.call({ operation: `log in as "${this.settings.username}"`, method: "POST", path: "/Login", body, authenticated: false, mode: "safe", schema: S.LoginBody });
    const granted = S.LoginResponse.safeParse(data);
    if (!granted.success) {
      const first = S.LoginFailure.safeParse(data).data?.errList[0];
      throw this.failure({
        operation: `log in as "${this.settings.username}"`,
        method: "POST",
        path: "/Login",
        status: 200,
        errorCode: first?.errorCode,
        errorMessage: first?.errLogMessage ?? "login refused",
        kind: "unauthorized",
      });
    }
    this.redactor.add(granted.data.token);
    return granted.data.token;
  }

  private failure(input: FailureInput): CommvaultError {
    return commvaultError(input, this.redactor);
  }

  private async call<T extends z.ZodTypeAny>(call: Call<T>): Promise<z.output<T>> {
    const started = this.now();
    let attempt = 0;
    let reloggedIn = false;
    for (;;) {
      attempt++;
      const where = { operation: call.operation, method: call.method, path: call.path, attempts: attempt };
      let session: Promise<string> | undefined;
      let res: AxiosResponse | undefined;
      let networkCode: string | undefined;
      try {
        const headers = call.authenticated ? this.authHeaders(await (session = this.sessionToken())) : {};
        const answer = await this.http.request({ method: call.method, url: call.path, params: call.params, data: call.body, headers });
        res = answer;
        // A gateway's own 5xx may carry its clock, not the CommServe's.
        if (answer.status < 500) {
          this.answered = true;
          const date = parseHttpDate(headerOf(answer, "date"));
          if (date !== undefined) {
            this.serverDate = date;
            this.serverDateAt = this.now();
          }
        }
      } catch (e) {
        if (CommvaultError.isInstance(e)) throw e;
        networkCode = networkCodeOf(e);
      }

      if (res?.status === 401 && call.authenticated && !reloggedIn) {
        // The session expired or was revoked: log in again once and repeat the call.
        reloggedIn = true;
        if (this.session === session) this.session = undefined;
        attempt--;
        continue;
      }

      const retryable = networkCode !== undefined
        ? this.policy.retryNetworkCodes.includes(networkCode) && (call.mode !== "once" || NOT_SENT_CODES.has(networkCode))
        : res !== undefined && this.policy.retryStatuses.includes(res.status) && (call.mode !== "once" || res.status === 429);
      if (retryable) {
        const delay = backoffMs(this.policy, attempt, headerOf(res, "retry-after"), this.random);
        const withinBudget = attempt < this.policy.maxAttempts && this.now() - started + delay <= this.policy.maxElapsedMs;
        const maybeCommitted = networkCode ? !NOT_SENT_CODES.has(networkCode) : res!.status !== 429;
        // A create that may have committed is never sent again from here: a slow server can
        // commit it after any look-up, so the caller waits and looks again (see provider/lifecycle/create.ts).
        if (call.mode === "create" && maybeCommitted) {
          // The look-up may find the token (CreateAnswerLostError); if the look-up itself fails,
          // what the caller must know is still the create's own failure: it may have committed.
          await call.beforeRetry?.().catch((e: unknown) => {
            if (e instanceof CreateAnswerLostError) throw e;
          });
        } else if (withinBudget) {
          const reason = networkCode ?? `HTTP ${res!.status}`;
          this.hooks.onRetry?.({ operation: call.operation, attempt, delayMs: delay, reason });
          await this.sleep(delay);
          continue;
        }
      }
      if (networkCode !== undefined) throw this.failure({ ...where, networkCode });
      return this.parse(call, res!, where);
    }
  }

  private parse<T extends z.ZodTypeAny>(call: Call<T>, res: AxiosResponse, where: FailureInput): z.output<T> {
    const body: unknown = res.data;
    const status = res.status;
    if (status >= 400) {
      const cv = S.commvaultErrorBody(body);
      // Only Commvault's own JSON error gives a 4xx its meaning: a proxy's or a web server's 404
      // must never read as "not found", which would drop live tokens from state.
      if (!cv && !statusSpeaksForItself(status)) {
        throw this.failure({ ...where, status, kind: "unexpected-response", errorMessage: notFromCommvault(headerOf(res, "content-type"), body) });
      }
      throw this.failure({ ...where, status, errorCode: cv?.errorCode, errorMessage: cv?.errorMessage });
    }
    const appError = S.applicationError(body);
    if (appError) throw this.failure({ ...where, status, errorCode: appError.errorCode, errorMessage: appError.errorMessage });
    if (!S.isJsonObject(body)) {
      throw this.failure({ ...where, status, kind: "unexpected-response", errorMessage: notFromCommvault(headerOf(res, "content-type"), body) });
    }
    const parsed = call.schema.safeParse(body);
    if (!parsed.success) {
      throw this.failure({ ...where, status, kind: "unexpected-response", errorMessage: `unexpected response: ${S.describeIssues(parsed.error)}` });
    }
    return parsed.data;
  }
}

function networkCodeOf(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof err?.code === "string" ? err.code : typeof err?.cause?.code === "string" ? err.cause.code : undefined;
  return code ?? "ERR_NETWORK";
}

function headerOf(res: AxiosResponse | undefined, name: string): string | undefined {
  const v: unknown = res?.headers?.[name];
  return typeof v === "string" ? v : undefined;
}
