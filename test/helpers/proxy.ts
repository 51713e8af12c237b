import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** Answers a request itself (an HTML 404, a 500...) instead of forwarding it. */
export type Intercept = (req: http.IncomingMessage) => ((res: http.ServerResponse) => void) | undefined;

/**
 * A loopback proxy in front of the emulator, standing for what sits between users and a real
 * CommServe (a web server, a load balancer): it forwards everything, except what `intercept`
 * chooses to answer itself.
 */
export async function startProxy(targetUrl: string, intercept: Intercept): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(targetUrl);
  const server = http.createServer((req, res) => {
    const own = intercept(req);
    if (own) return void own(res);
    const fwd = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    // A client that gave up (a time-out) closes its side; the emulator still commits.
    fwd.on("error", () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${target.pathname}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** True for a GET of the token list. */
export const isList = (req: http.IncomingMessage) => req.method === "GET" && /\/v4\/accesstoken(\?|\/?$|\/\?)/i.test(req.url ?? "");
export const isCreate = (req: http.IncomingMessage) => req.method === "POST" && /\/v4\/accesstoken\/?$/i.test(req.url ?? "");
