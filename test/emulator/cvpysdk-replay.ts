/**
 * What Commvault's Python SDK (cvpysdk, commit cb9ce39: cvpysdk.py, commcell.py, services.py,
 * security/user.py) sends and where it reads the answers, replayed over plain fetch (reference
 * section 12). It mirrors the SDK's own logic line by line where that logic decides what goes on
 * the wire or what the caller sees, including the places where it would raise a KeyError, so
 * that an answer in the wrong shape fails here as it would fail there. Never our client.
 */

export class SdkException extends Error {
  /** The SDK's exception id, e.g. "User 104" or "Response 101". */
  constructor(
    readonly id: string,
    message: string,
  ) {
    super(`${id}: ${message}`);
  }
}

/** Python's KeyError, for an index the SDK takes without a default. */
function key(obj: unknown, k: string): unknown {
  if (typeof obj !== "object" || obj === null || !(k in obj)) throw new Error(`KeyError: '${k}' in ${JSON.stringify(obj)}`);
  return (obj as Record<string, unknown>)[k];
}

export interface SdkResponse {
  status: number;
  /** make_request's flag: HTTP 200 or 201. */
  flag: boolean;
  text: string;
  contentType: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CreateArgs {
  token_name: string;
  token_type?: number;
  renewable_until_time?: number;
  token_expiry_time?: number;
  api_endpoints?: string[];
  service_account_id?: number;
  ip_allowlist?: string[];
}

export class CvPySdk {
  /** Commcell builds `https://{host}/commandcenter/api/`; services append to it. */
  readonly base: string;
  authtoken: string | undefined;
  /** Every request sent, as "METHOD url-below-host". */
  readonly sent: string[] = [];

  constructor(
    apiUrl: string,
    readonly deviceId = "sdk-host.example.com",
  ) {
    this.base = `${apiUrl}/`;
  }

  /** services.py */
  get services() {
    const b = this.base;
    return {
      LOGIN: `${b}Login`,
      LOGOUT: `${b}Logout`,
      RENEW_LOGIN_TOKEN: `${b}RenewLoginToken`,
      WHO_AM_I: `${b}WhoAmI`,
      CREATE_ACCESS_TOKEN: `${b}/V4/AccessToken`,
      UPDATE_ACCESS_TOKEN: `${b}/V4/AccessToken/%s`,
      REVOKE_ACCESS_TOKEN: `${b}/V4/AccessToken/%s`,
      GET_ACCESS_TOKENS: `${b}/V4/AccessToken/?userId=%s`,
      RENEW_TOKEN: `${b}/V4/AccessToken/Renew`,
    };
  }

  private headers(): Record<string, string> {
    // requests drops a header whose value is None: before login there is no Authtoken at all.
    const h: Record<string, string> = { Accept: "application/json", "Content-type": "application/json" };
    if (this.authtoken !== undefined) h.Authtoken = this.authtoken;
    return h;
  }

  private async request(method: string, url: string, payload: unknown, headers: Record<string, string>): Promise<SdkResponse> {
    let body: string | undefined;
    if (payload !== undefined) {
      body = JSON.stringify(payload);
      headers["Content-type"] = "application/json";
    } else if (method === "POST") {
      // make_request: a POST without a dict payload gets 'application/xml' and no body.
      headers["Content-type"] = "application/xml";
    }
    this.sent.push(`${method} ${new URL(url).pathname}${new URL(url).search}`);
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    return { status: res.status, flag: res.status === 200 || res.status === 201, text, contentType: res.headers.get("content-type") ?? "", json: () => JSON.parse(text) };
  }

  /** cvpysdk.py make_request: on a 401 under a non-Bearer token, RenewLoginToken and again, 3 times at most. */
  async makeRequest(method: string, url: string, payload?: unknown, attempts = 0, headers = this.headers()): Promise<SdkResponse> {
    const response = await this.request(method, url, payload, headers);
    if (response.status === 401 && headers.Authtoken !== undefined) {
      if (headers.Authtoken.startsWith("Bearer ")) throw new SdkException("CVPySDK 106", "The token has expired. Please login again");
      if (attempts < 3) {
        this.authtoken = await this.renewLoginToken(attempts + 1);
        return this.makeRequest(method, url, payload, attempts + 1);
      }
      throw new SdkException("CVPySDK 103", "Reached the maximum attempts limit");
    }
    return response;
  }

  /** _is_valid_service: `GET {base}` before anything else; HTTP 200 or "Commcell is not reachable". */
  async isValidService(): Promise<boolean> {
    const r = await this.request("GET", this.base, undefined, this.headers());
    return r.status === 200;
  }

  async login(username: string, password: string): Promise<string> {
    const payload = { mode: 4, username, password: Buffer.from(password).toString("base64"), deviceId: this.deviceId, clientType: 30 };
    const r = await this.makeRequest("POST", this.services.LOGIN, payload);
    if (!r.flag) throw new SdkException("Response 101", r.text);
    const json = r.json();
    if ("userName" in json && "token" in json) return (this.authtoken = json.token as string);
    const errList = key(json, "errList") as unknown[];
    throw new SdkException("CVPySDK 101", `Error: "${key(errList[0], "errLogMessage")}"`);
  }

  private async renewLoginToken(attempts: number): Promise<string> {
    const r = await this.makeRequest("POST", this.services.RENEW_LOGIN_TOKEN, { sessionId: this.authtoken, deviceId: this.deviceId }, attempts);
    if (!r.flag) throw new SdkException("CVPySDK 108", r.text);
    const json = r.json();
    if ("token" in json) return json.token as string;
    throw new SdkException("CVPySDK 101", `Error: "${key(key(json, "error"), "errLogMessage")}"`);
  }

  /** Commcell(authtoken=...): `QSDK ` is put before a token that has no known prefix. */
  useToken(authtoken: string): void {
    this.authtoken = /^(QSDK|SAML|Bearer) /.test(authtoken) ? authtoken : `QSDK ${authtoken}`;
  }

  async whoAmI(): Promise<string> {
    const r = await this.makeRequest("POST", this.services.WHO_AM_I, undefined, 0, { ...this.headers() });
    if (!r.flag) throw new SdkException("Response 101", r.text);
    if (!r.contentType.includes("application/json")) throw new Error(`the SDK would parse XML here: ${r.contentType}`);
    const json = r.json();
    if ((json.errorCode ?? 0) !== 0) throw new SdkException("CVPySDK 107", "no user mapping");
    return key(key(json, "user"), "userName") as string;
  }

  async logout(): Promise<void> {
    await this.makeRequest("POST", this.services.LOGOUT);
  }

  /** security/user.py create_access_token: falsy arguments are left out. */
  async createAccessToken(a: CreateArgs): Promise<Record<string, unknown>> {
    const payload: Record<string, unknown> = { tokenName: a.token_name };
    if (a.service_account_id) payload.userId = a.service_account_id;
    if (a.token_type) payload.tokenType = a.token_type;
    if (a.renewable_until_time) payload.renewableUntilTimestamp = a.renewable_until_time;
    if (a.token_expiry_time) payload.tokenExpiryTimestamp = a.token_expiry_time;
    if (a.api_endpoints?.length) payload.apiEndpoints = a.api_endpoints;
    if (a.ip_allowlist?.length) payload.allowedIPs = a.ip_allowlist;
    const r = await this.makeRequest("POST", this.services.CREATE_ACCESS_TOKEN, payload);
    return this.nested(r, "User 104");
  }

  async editAccessToken(id: number, a: Omit<CreateArgs, "service_account_id" | "token_name"> & { token_name?: string }): Promise<Record<string, unknown>> {
    const payload: Record<string, unknown> = {};
    if (a.token_name) payload.tokenName = a.token_name;
    if (a.token_type) payload.tokenType = a.token_type;
    if (a.renewable_until_time) payload.renewableUntilTimestamp = a.renewable_until_time;
    if (a.token_expiry_time) payload.tokenExpiryTimestamp = a.token_expiry_time;
    if (a.api_endpoints?.length) payload.apiEndpoints = a.api_endpoints;
    if (a.ip_allowlist?.length) payload.allowedIPs = a.ip_allowlist;
    const r = await this.makeRequest("PUT", this.services.UPDATE_ACCESS_TOKEN.replace("%s", String(id)), payload);
    return this.nested(r, "User 106");
  }

  /** Create and edit: `response.json()['error']['errorCode']`, no default. */
  private nested(r: SdkResponse, id: string): Record<string, unknown> {
    if (!r.flag) throw new SdkException("Response 101", r.text);
    const json = r.json();
    const error = key(json, "error");
    if (key(error, "errorCode") !== 0) throw new SdkException(id, String((error as Record<string, unknown>).errorMessage));
    return key(json, "tokenInfo") as Record<string, unknown>;
  }

  async deleteAccessToken(id: number): Promise<Record<string, unknown>> {
    const r = await this.makeRequest("DELETE", this.services.REVOKE_ACCESS_TOKEN.replace("%s", String(id)));
    if (!r.flag) throw new SdkException("Response 101", r.text);
    const json = r.json();
    if (key(json, "errorCode") !== 0) throw new SdkException("User 107", String(json.errorMessage));
    return json;
  }

  async getAccessTokens(userId: number): Promise<Record<string, unknown>> {
    const r = await this.makeRequest("GET", this.services.GET_ACCESS_TOKENS.replace("%s", String(userId)));
    return this.topLevel(r, "User 108");
  }

  async renewAccessToken(accessToken: string, refreshToken: string): Promise<Record<string, unknown>> {
    const r = await this.makeRequest("POST", this.services.RENEW_TOKEN, { accessToken, refreshToken });
    return this.topLevel(r, "User 109");
  }

  /** List and renew: `response.json().get('errorCode')`, so a nested error would pass as success. */
  private topLevel(r: SdkResponse, id: string): Record<string, unknown> {
    if (!r.flag) throw new SdkException("Response 101", r.text);
    const json = r.json();
    if (json.errorCode) throw new SdkException(id, String(json.errorMessage));
    return json;
  }
}
