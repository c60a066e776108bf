// How the console writes dates, sizes, counts and statuses.

import { h } from "./dom.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortThisYear = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const shortOtherYear = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const number = new Intl.NumberFormat();

/** A `<time>` in the browser's local time zone, or a dash when there is no time yet. */
export function when(iso) {
  if (!iso) {
    return h("span", { class: "muted" }, "—");
  }
  return h("time", { datetime: iso }, dateTime.format(new Date(iso)));
}

/** The same, compact for a table: no seconds, and no year unless it is not this one. The full time is its tooltip. */
export function whenShort(iso) {
  if (!iso) {
    return h("span", { class: "muted" }, "—");
  }
  const date = new Date(iso);
  const format = date.getFullYear() === new Date().getFullYear() ? shortThisYear : shortOtherYear;
  return h("time", { datetime: iso, title: dateTime.format(date) }, format.format(date));
}

export function formatNumber(value) {
  return value === null || value === undefined ? "—" : number.format(value);
}

/** Bytes in the units the server's own messages use (1 MB = 1,048,576 bytes). */
export function formatBytes(size) {
  if (size === null || size === undefined) {
    return "—";
  }
  const units = ["bytes", "KB", "MB", "GB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function plural(count, singular, pluralForm = `${singular}s`) {
  return `${formatNumber(count)} ${count === 1 ? singular : pluralForm}`;
}

export function formatDuration(startIso, endIso) {
  if (!startIso || !endIso) {
    return null;
  }
  const seconds = Math.max(0, (new Date(endIso) - new Date(startIso)) / 1000);
  if (seconds < 0.1) {
    return "under 0.1 s";
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export const STATUSES = {
  pending: "Pending",
  processed: "Processed",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** A status badge: the colour helps, the word carries the meaning. */
export function statusBadge(status) {
  const known = Object.hasOwn(STATUSES, status);
  return h("span", { class: `badge badge-${known ? status : "unknown"}` }, known ? STATUSES[status] : String(status));
}

/** Lines handled as a fraction of the file, header included; null when the total is unknown. */
export function progressFraction(item) {
  if (item.status !== "pending" && item.status !== "failed" && item.status !== "cancelled") {
    return 1;
  }
  if (!item.totalLines) {
    return null;
  }
  return Math.min(1, (item.fileLine || 0) / item.totalLines);
}

export function importTitle(item) {
  return item.fileName || `Import ${item.referenceId.slice(0, 8)}`;
}
