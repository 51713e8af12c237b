"use strict";
// Makes the two "hand-made" tokens that program/ adopts, as someone would in Command Center:
// the administrator's own "ci-pipeline" and the service account svc-backup's "nightly-backup".
// For the emulator (or a lab CommServe). Settings from COMMVAULT_URL, COMMVAULT_USERNAME and
// COMMVAULT_PASSWORD; prints each token's id, never its secret.
const url = (process.env.COMMVAULT_URL ?? "http://127.0.0.1:8400/commandcenter/api").replace(/\/+$/, "");
const username = process.env.COMMVAULT_USERNAME ?? "admin";
const password = process.env.COMMVAULT_PASSWORD;
if (!password) {
  console.error("set COMMVAULT_PASSWORD (and COMMVAULT_URL, COMMVAULT_USERNAME)");
  process.exit(2);
}

async function call(method, path, body, token) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (token) headers.Authtoken = token;
  const res = await fetch(url + path, { method, headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok || json.error?.errorCode || json.errList) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json.error ?? json.errList ?? "")}`);
  return json;
}

(async () => {
  const { token } = await call("POST", "/Login", { username, password: Buffer.from(password).toString("base64") });
  const users = (await call("GET", "/User", undefined, token)).users;
  const svc = users.find((u) => u.userEntity.userName === "svc-backup").userEntity.userId;
  for (const body of [
    { tokenName: "ci-pipeline", allowedIPs: ["10.0.0.0/8"] },
    { tokenName: "nightly-backup", userId: svc, allowedIPs: ["10.20.0.0/16"] },
  ]) {
    const { tokenInfo } = await call("POST", "/V4/AccessToken", body, token);
    console.log(`made "${tokenInfo.tokenName}" (id ${tokenInfo.accessTokenId}) of user ${tokenInfo.userId}`);
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
