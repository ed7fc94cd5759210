/**
 * The routes that take `multipart/form-data` uploads. Every other state-changing `/api` request must be
 * `application/json`: a form or `text/plain` body is what a page on another origin can send without a
 * CORS preflight, so refusing them closes that door. Add an upload route here, in this one table.
 * @module
 */

/** Full paths (as `c.req.path` gives them) that accept a multipart body. */
export const MULTIPART_ROUTES: ReadonlySet<string> = new Set([
  "/api/characters/create", // SillyTavern's client posts its character form (JSON is taken too)
  "/api/characters/import",
  "/api/characters/edit-avatar",
  "/api/avatars/upload",
  "/api/chats/import",
  "/api/chats/group/import",
  "/api/worldinfo/import",
]);
