export { AccessToken, type AccessTokenArgs, type AccessTokenRotation, type AccessTokenScope, type PreviousAccessToken } from "./access-token";
