export { AccessToken, type AccessTokenArgs, type AccessTokenScope } from "./access-token";
