/**
 * The web UI's entry: starts the connection and renders the shell.
 * @module
 */

import { render } from "preact";
import { connect, setErrorReporter } from "./api.ts";
import "./persona-avatar.tsx";
import { reportError } from "./state.ts";
import { Shell } from "./views/Shell.tsx";

setErrorReporter(reportError);
// the socket first: its handshake runs while the shell renders
connect();
render(<Shell />, document.getElementById("app")!);
