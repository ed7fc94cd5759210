/**
 * The other direction of the method table: what the host calls on a connection (a WebSocket client or a
 * plugin worker). Both sides take the names from here. Dependency-free so the worker bootstrap can import
 * it (it is one of the host modules the sandbox process may read).
 * @module
 */

/** Host → connection methods. */
export const PeerMethod = Object.freeze({
  /** Event delivery `{ listenerId, event, args }`: a notification, or a request for awaited listeners. */
  EVENT: "event",
  /** Context mirror update `{ ops }` or `{ snapshot }` (notification). */
  MIRROR: "mirror",
  /** The extension API registry, name → `{ owner, methods }` (notification). */
  EXTENSIONS: "extensions",
  /** A call of a registered extension API `{ name, method, args }` in its owner's worker. */
  EXTENSION_INVOKE: "extensions.invoke",
  /** A registered function tool's action `{ name, args }`. */
  TOOL_INVOKE: "tool.invoke",
  /** A tool's `formatMessage(args)` `{ name, args }`. */
  TOOL_FORMAT_MESSAGE: "tool.formatMessage",
  /** A tool's `shouldRegister()` `{ name }`. */
  TOOL_SHOULD_REGISTER: "tool.shouldRegister",
  /** A registered function macro's value `{ name }` → its text. */
  MACRO_INVOKE: "macro.invoke",
  /** A registered slash command `{ name, named, unnamed }` → its result text. */
  SLASH_INVOKE: "slash.invoke",
  /** Load the plugin module (worker only). */
  LOAD: "load",
  /** Heartbeat; answers the worker's memory use (worker only). */
  PING: "ping",
  /** Read grants withdrawn because a granted file was replaced (worker only, notification). */
  REVOKE: "revoke",
});
