export { provider } from "./lifecycle/provider";
export { dynamicProvider } from "./lifecycle/dynamic-door";
export { CommvaultClient, type CreateTokenRequest, type ModifyTokenRequest } from "./client/client";
export { CommvaultError, CreateAnswerLostError } from "./client/errors";
export type { ClientSettings, HeaderStyle } from "./client/settings";
