import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CommvaultClient } from "../../provider/client/client";

export interface Canned {
  status: number;
  /** A string is sent as is (HTML, text, nothing); anything else as JSON. */
  body?: unknown;
  contentType?: string;
}

export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const SESSION = "QSDK 5e55104deadbeef5e55104";

/**
 * A server that is not the emulator: it logs anyone in, then answers every other call with what
 * the test says. It plays what the emulator never does: proxies' HTML pages, empty bodies,
 * error shapes swapped between calls.
 */
export function useFakeServer(): { url: () => string; answer: (fn: (req: Seen) => Canned) => void; client: () => CommvaultClient } {
  let server: http.Server;
  let url = "";
  let handler: (req: Seen) => Canned = () => ({ status: 500, body: "no answer set" });
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const seen: Seen = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        const canned = /\/login$/i.test(seen.path) ? { status: 200, body: { token: SESSION, userName: "admin", userId: 1 } } : handler(seen);
        const text = typeof canned.body === "string" ? canned.body : canned.body === undefined ? "" : JSON.stringify(canned.body);
        const type = canned.contentType ?? (typeof canned.body === "string" ? "text/html; charset=utf-8" : "application/json");
        res.writeHead(canned.status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
        res.end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/commandcenter/api`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: () => url,
    answer: (fn) => {
      handler = fn;
    },
    client: () => new CommvaultClient({ url, username: "admin", password: "admin-password", retry: { maxAttempts: 2 } }, { sleep: async () => undefined }),
  };
}
