import { requireAuth } from "../../middleware/auth";
import { problem } from "../../lib/openapi";

/** What every authenticated Tiny route of the shipping, customer and finance files shares. */
export const authenticated = { tags: ["tinyerp"], security: [{ bearerAuth: [] }], middleware: requireAuth };

export const tinyErrors = {
  429: problem("Tiny's quota for the company is used up; see Retry-After"),
  502: problem("Tiny answered with an error"),
  503: problem("Tiny unavailable, or the integration is not configured"),
};

/** A page read live from one account: the account must be the caller's and usable. */
export const accountErrors = {
  404: problem("No such Tiny account (also for another user's), or none connected"),
  409: problem("The Tiny account must be reconnected"),
};
