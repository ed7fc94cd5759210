/**
 * The per-event listener order (`eventSource.setOrderConfig`) kept in the settings document under
 * {@link EVENT_ORDER_KEY}, so it outlives a restart. The settings document is the source: the bus's
 * order is applied from it at start and after every settings change, whichever door wrote it
 * (`setOrderConfig`, `settings.patch`, `/api/settings/save`, a SillyTavern folder import).
 * @module
 */

import type { SettingsService } from "./documents.ts";
import type { EventBus, OrderConfig } from "./events.ts";
import { isObject } from "./json.ts";

/** The settings key holding the order: `{ [event]: { pluginOrder: [pluginId, ...] } }`. */
export const EVENT_ORDER_KEY = "event_order";

/** The stored order read leniently: a hand-edited entry of the wrong shape is left out. */
export function storedEventOrder(settings: Record<string, unknown>): OrderConfig {
  const stored = settings[EVENT_ORDER_KEY];
  if (!isObject(stored)) return {};
  const out: OrderConfig = {};
  for (const [event, value] of Object.entries(stored)) {
    const order = isObject(value) ? value.pluginOrder : undefined;
    if (Array.isArray(order) && order.every((id) => typeof id === "string")) {
      out[event] = { pluginOrder: order };
    }
  }
  return out;
}

/**
 * Sets and keeps the listener order.
 *
 * @example
 * ```ts
 * await lodge.eventOrder.set({ message_sent: { pluginOrder: ["memory", "dice"] } });
 * lodge.settings.get().event_order; // { message_sent: { pluginOrder: ["memory", "dice"] } }
 * ```
 */
export class EventOrderService {
  #settings: SettingsService;
  #events: EventBus;

  constructor(settings: SettingsService, events: EventBus) {
    this.#settings = settings;
    this.#events = events;
    this.#apply();
    settings.onChange(() => this.#apply());
  }

  /** The current order (what the bus applies). */
  get(): OrderConfig {
    return this.#events.getOrderConfig();
  }

  /**
   * Merges `config` into the order as the bus does (an event without `pluginOrder` goes back to
   * priority order) and stores the result; emits `SETTINGS_UPDATED`.
   */
  async set(config: OrderConfig): Promise<void> {
    const before = this.get();
    this.#events.setOrderConfig(config);
    try {
      await this.#settings.patch([{ op: "add", path: `/${EVENT_ORDER_KEY}`, value: this.get() }]);
    } catch (error) {
      this.#replace(before);
      throw error;
    }
  }

  #apply(): void {
    this.#replace(storedEventOrder(this.#settings.get()));
  }

  /** Makes the bus's order exactly `config`: events it no longer names go back to priority order. */
  #replace(config: OrderConfig): void {
    const cleared = Object.fromEntries(Object.keys(this.get()).map((event) => [event, {}]));
    this.#events.setOrderConfig({ ...cleared, ...config });
  }
}
