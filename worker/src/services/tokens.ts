import type { AccessTokenConfig } from "#core/auth/access-token";
import type { Config } from "../env";

export function accessTokenConfig(config: Config): AccessTokenConfig {
  return {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
}
