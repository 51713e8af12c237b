import { setUrnSource } from "../../provider/connection/runtime";
import { ADMIN, type Harness } from "./emulator";
import { configure } from "./lifecycle";
import type { sharedClock } from "./time";

/**
 * What the tests of runs cut short share (interrupted creates and rotations): a new run of the
 * provider against the harness's emulator, the stack owner's confirmation of leftover ids
 * (COMMVAULT_TOKENS_SETTLE, read at call time), and a fresh admin session (it idles out while the
 * clocks move). Clock, URN source and confirmation are undone after each test.
 */
export function interruptedRig(h: Harness, clock: ReturnType<typeof sharedClock>) {
  afterEach(() => {
    clock.reset();
    setUrnSource(undefined);
    delete process.env.COMMVAULT_TOKENS_SETTLE;
  });
  return {
    confirm: (...ids: number[]) => (process.env.COMMVAULT_TOKENS_SETTLE = ids.join(",")),
    newRun: () => configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password }),
    login: async () => (h.admin = await h.api.login(ADMIN.username, ADMIN.password)),
  };
}
