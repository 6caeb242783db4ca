import type { PublicUser } from "#db/queries/users";
import type { Bindings } from "../env";
import type { Services } from "../services";

export interface Principal {
  userId: string;
  sessionId: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    services: Services;
    principal: Principal;
    /** Loaded with the session check, so handlers need no second query for it. */
    currentUser: PublicUser;
  };
}
