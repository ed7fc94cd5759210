/**
 * Browser sessions without server-side state: a session is a random id signed with an HMAC keyed by the
 * API token, so every browser gets its own session, a restart keeps them, and changing the token ends
 * all of them. Each session has its own CSRF value, derived from its id with the same key; the page
 * receives it in the HTML and sends it back in `X-Lodge-CSRF`.
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";

/** A verified browser session. */
export interface Session {
  /** The random session id (base64url). */
  id: string;
  /** The CSRF value the page must send in `X-Lodge-CSRF`. */
  csrf: string;
}

const VERSION = "v1";
const SESSION_LABEL = "lodge-session:";
const CSRF_LABEL = "lodge-csrf:";

/** Issues and verifies session cookies for one API token. */
export class Sessions {
  readonly #key: Buffer;

  constructor(token: string) {
    // A derived key, so the token itself never keys anything a browser sees.
    this.#key = createHmac("sha256", token).update("lodge-session-key").digest();
  }

  /** A new session and the cookie value that carries it. */
  create(): { cookie: string; session: Session } {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
    return {
      cookie: `${VERSION}.${id}.${this.#mac(SESSION_LABEL, id)}`,
      session: { id, csrf: this.#mac(CSRF_LABEL, id) },
    };
  }

  /** The session a cookie value carries, or null when it is missing, malformed or not signed by us. */
  verify(cookie: string | undefined): Session | null {
    if (!cookie) return null;
    const [version, id, mac, extra] = cookie.split(".");
    if (version !== VERSION || !id || !mac || extra !== undefined) return null;
    if (!sameText(mac, this.#mac(SESSION_LABEL, id))) return null;
    return { id, csrf: this.#mac(CSRF_LABEL, id) };
  }

  #mac(label: string, id: string): string {
    return createHmac("sha256", this.#key).update(label + id).digest("base64url");
  }
}

/**
 * Compares two strings in time that depends only on their lengths (the length of a MAC or token is no
 * secret): every code unit is compared, with no early exit. Plain JavaScript, as this runs on every
 * request and a `Buffer` per call costs more than the compare.
 */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
