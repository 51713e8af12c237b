import { sealEngineLog } from "./seal-logs";

// Loading this package seals the program's log entries to the engine (seal-logs.ts): the SDK's
// debug lines of each answer would otherwise print this package's secrets under `--debug`.
sealEngineLog();

export { AccessToken, type AccessTokenAdopt, type AccessTokenArgs, type AccessTokenRotation, type AccessTokenScope, type PreviousAccessToken } from "./access-token";
export { listAccessTokens, type ListAccessTokensArgs, type ListedAccessToken } from "./functions";
export { sealEngineLog } from "./seal-logs";
