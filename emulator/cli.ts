#!/usr/bin/env node
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { SEED_USERS } from "./contract";
import { startEmulator } from "./emulator";

const usage = `Usage: commvault-emulator [--port N] [--host H] [--data FILE] [--control]
       [--admin-password P] [--alice-password P] [--errors-as-200] [--token-type-names]
       [--omit-allowed-ips] [--omit-date-header] [--trust-forwarded-for] [--tls-cert FILE --tls-key FILE]
The first line printed is the API base URL. Port 0 picks a free port (default 8400).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: process.env.COMMVAULT_EMULATOR_PORT ?? "8400" },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string" },
      control: { type: "boolean", default: false },
      "admin-password": { type: "string" },
      "alice-password": { type: "string" },
      "errors-as-200": { type: "boolean", default: false },
      "token-type-names": { type: "boolean", default: false },
      "omit-allowed-ips": { type: "boolean", default: false },
      "omit-date-header": { type: "boolean", default: false },
      "trust-forwarded-for": { type: "boolean", default: false },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`);
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) throw new Error("--tls-cert and --tls-key go together (PEM files)");
  const tls = values["tls-cert"] ? { cert: fs.readFileSync(values["tls-cert"], "utf8"), key: fs.readFileSync(values["tls-key"]!, "utf8") } : undefined;
  const running = await startEmulator({
    tls,
    port,
    host: values.host,
    dataFile: values.data,
    control: values.control,
    trustForwardedFor: values["trust-forwarded-for"],
    passwords: { admin: values["admin-password"], alice: values["alice-password"] },
    variants: {
      errorsAsHttp200: values["errors-as-200"],
      tokenTypeAsNames: values["token-type-names"],
      omitAllowedIPsInList: values["omit-allowed-ips"],
      omitDateHeader: values["omit-date-header"],
    },
  });
  console.log(running.url);
  const users = SEED_USERS.map((u) => `${u.userName} (id ${u.userId}, ${u.admin ? "administrator" : u.userType === "service" ? "service account" : "end user"})`);
  console.log(`seed users: ${users.join(", ")}`);
  console.log(`passwords: admin/alice from --admin-password/--alice-password or COMMVAULT_EMULATOR_ADMIN_PASSWORD/COMMVAULT_EMULATOR_ALICE_PASSWORD (defaults in the README)`);
  if (values.data) console.log(`store: ${values.data}`);
  if (values.control) console.log(`control: ${running.url.replace(/\/commandcenter\/api$/, "")}/__emulator/`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: Error) => {
  console.error(`commvault-emulator: ${e.message}`);
  process.exit(1);
});
