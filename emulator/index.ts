export { Emulator, startEmulator, type EmulatorOptions, type LoggedRequest, type RunningEmulator } from "./emulator";
export type { FaultRule, RateLimit } from "./faults";
export type { Variants } from "./tokens";
export { SEED_USERS, LIMITS, ERRORS } from "./contract";
