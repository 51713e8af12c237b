import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator";
import { RawApi } from "./raw-api";

export const ADMIN = { username: "admin", password: "admin-password", userId: 1 };
export const ALICE = { username: "alice", password: "alice-password", userId: 11 };
export const SVC_BACKUP = 21;
export const SVC_REPORTING = 22;

export interface Harness {
  running: RunningEmulator;
  api: RawApi;
  admin: string;
  alice: string;
}

/**
 * Starts an emulator for a describe block. By default every test starts from the seed store with
 * fresh sessions for admin and alice; `fresh: false` keeps one store for a sequence of steps.
 */
export function useEmulator(options: EmulatorOptions = {}, { fresh = true }: { fresh?: boolean } = {}): Harness {
  // Plain fetch cannot be told to trust a test certificate; TLS tests log in through the client.
  const login = !options.tls;
  const h = {} as Harness;
  beforeAll(async () => {
    h.running = await startEmulator({ control: true, ...options });
    h.api = new RawApi(h.running.url);
  });
  (fresh ? beforeEach : beforeAll)(async () => {
    h.running.emulator.reset();
    if (!login) return;
    h.admin = await h.api.login(ADMIN.username, options.passwords?.admin ?? ADMIN.password);
    h.alice = await h.api.login(ALICE.username, options.passwords?.alice ?? ALICE.password);
  });
  afterAll(async () => {
    await h.running?.close();
  });
  return h;
}

export const now = () => Math.floor(Date.now() / 1000);
export const DAY = 86_400;
