/**
 * A deliberately dumb HTTP helper for emulator tests: plain fetch, no retries, no schema. Tests
 * of the emulator use it instead of the provider's client so that the two are checked against
 * the contract independently.
 */
export interface RawResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export class RawApi {
  constructor(readonly url: string) {}

  async call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/json", ...opts.headers };
    if (opts.token) headers.Authtoken = opts.token;
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // plain text answers (logout) stay strings
    }
    return { status: res.status, body, headers: res.headers };
  }

  async login(username: string, password: string): Promise<string> {
    const r = await this.call("POST", "/Login", { body: { username, password: Buffer.from(password).toString("base64") } });
    if (typeof r.body?.token !== "string") throw new Error(`login failed: ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  }

  async create(token: string, body: Record<string, unknown>): Promise<RawResponse> {
    return this.call("POST", "/V4/AccessToken", { token, body });
  }

  /** Base URL of the control surface. */
  get control(): string {
    return this.url.replace(/\/commandcenter\/api$/, "/__emulator");
  }

  async ctl(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const res = await fetch(`${this.control}/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }
}
