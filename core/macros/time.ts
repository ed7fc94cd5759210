/**
 * The clock macros' formats, as SillyTavern's moment.js calls print them in English: `{{time}}` (`LT`,
 * "3:07 PM"), `{{date}}` (`LL`, "December 1, 2026"), `{{weekday}}`, `{{isotime}}`, `{{isodate}}`, and the
 * humanized durations of `{{idle_duration}}` and `{{timeDiff}}`.
 * @module
 */

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad = (n: number) => String(n).padStart(2, "0");

/** `h:mm AM` in local time. */
export function formatTime(date: Date): string {
  const h = date.getHours();
  return `${h % 12 === 0 ? 12 : h % 12}:${pad(date.getMinutes())} ${h < 12 ? "AM" : "PM"}`;
}

/** `Month D, YYYY` in local time. */
export function formatDate(date: Date): string {
  return `${MONTHS[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}`;
}

/** The weekday's English name. */
export function formatWeekday(date: Date): string {
  return WEEKDAYS[date.getDay()];
}

/** `HH:mm`. */
export function formatIsoTime(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `YYYY-MM-DD`. */
export function formatIsoDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A duration as moment's `humanize()` words it ("a few seconds", "5 minutes", "a day", ...). */
export function humanizeDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const m = Math.round(s / 60), h = Math.round(m / 60), d = Math.round(h / 24);
  if (s < 45) return "a few seconds";
  if (s < 90) return "a minute";
  if (m < 45) return `${m} minutes`;
  if (m < 90) return "an hour";
  if (h < 22) return `${h} hours`;
  if (h < 36) return "a day";
  if (d < 26) return `${d} days`;
  const months = Math.round(d / 30.4375);
  if (d < 45) return "a month";
  if (d < 320) return `${months} months`;
  const years = Math.round(d / 365.25);
  return d < 548 ? "a year" : `${years} years`;
}

/**
 * Parses a chat message's `send_date` (SillyTavern's "December 1, 2026 3:07pm", an ISO string or epoch
 * milliseconds); `null` when it is none of them.
 */
export function parseSendDate(value: unknown): Date | null {
  if (typeof value === "number") return Number.isFinite(value) ? new Date(value) : null;
  if (typeof value !== "string" || !value) return null;
  const human = /^([A-Za-z]+) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}) ?(am|pm)$/i.exec(value.trim());
  if (human) {
    const month = MONTHS.findIndex((name) => name.toLowerCase() === human[1].toLowerCase());
    if (month >= 0) {
      const hour = Number(human[4]) % 12 + (human[6].toLowerCase() === "pm" ? 12 : 0);
      return new Date(Number(human[3]), month, Number(human[2]), hour, Number(human[5]));
    }
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}
