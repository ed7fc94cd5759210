/**
 * Plugin panels: each running plugin whose manifest has `ui.panel` gets a tab; its page runs in
 * `<iframe sandbox="allow-scripts">` (no `allow-same-origin`), served with a strict policy from the
 * plugin's folder. The bridge here answers only that frame's messages and passes them only to that
 * plugin's own extension API:
 *
 * ```js
 * // in the panel page
 * const id = Math.random();
 * parent.postMessage({ lodge: "call", id, method: "hello", args: ["you"] }, "*");
 * addEventListener("message", (e) => { if (e.data?.lodge === "result" && e.data.id === id) ... });
 * ```
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { callPlugin, pluginUis } from "../plugin-ui.ts";

/** The panels view. */
export function PanelsView() {
  const panels = pluginUis.value.filter((p) => p.ui?.panel);
  const [chosen, setChosen] = useState<string | null>(null);
  const current = panels.find((p) => p.id === chosen) ?? panels[0];
  if (!current) return <p class="empty">No running plugin has a panel.</p>;
  return (
    <section class="panels" aria-label="Plugin panels">
      <div class="tabs" role="tablist">
        {panels.map((p) => (
          <button
            type="button"
            role="tab"
            key={p.id}
            aria-selected={p.id === current.id}
            onClick={() => setChosen(p.id)}
          >
            {p.displayName}
          </button>
        ))}
      </div>
      <PanelFrame
        key={current.id}
        pluginId={current.id}
        panel={current.ui!.panel!}
        title={current.displayName}
      />
    </section>
  );
}

interface CallMessage {
  lodge: "call";
  id: unknown;
  method: string;
  args?: unknown[];
}

function isCall(data: unknown): data is CallMessage {
  const d = data as CallMessage;
  return typeof d === "object" && d !== null && d.lodge === "call" && typeof d.method === "string" &&
    (d.args === undefined || Array.isArray(d.args));
}

function PanelFrame({ pluginId, panel, title }: { pluginId: string; panel: string; title: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const onMessage = async (event: MessageEvent) => {
      const frame = ref.current?.contentWindow;
      // only this frame's own messages; the frame's origin is opaque ("null"), so its window identifies it
      if (!frame || event.source !== frame || !isCall(event.data)) return;
      const { id, method, args = [] } = event.data;
      try {
        const result = await callPlugin(pluginId, method, JSON.parse(JSON.stringify(args)));
        frame.postMessage({ lodge: "result", id, result }, "*");
      } catch (error) {
        frame.postMessage({
          lodge: "result",
          id,
          error: error instanceof Error ? error.message : String(error),
        }, "*");
      }
    };
    addEventListener("message", onMessage);
    return () => removeEventListener("message", onMessage);
  }, [pluginId]);
  const src = `/plugin-panel/${encodeURIComponent(pluginId)}/${
    panel.split("/").pop()!.split("/").map(encodeURIComponent).join("/")
  }`;
  return (
    <iframe
      ref={ref}
      class="panel-frame"
      title={`${title} panel`}
      src={src}
      sandbox="allow-scripts"
      referrerpolicy="no-referrer"
    />
  );
}
