// How the screen writes times, ages, durations, distances and money: clock times in the fleet's time zone
// (a dispatcher in another zone still reads the fleet's local times), money in the trip's own currency.

import { fleet } from "./store.js";

const zone = fleet.time_zone || undefined;
const clockFormat = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
const dayFormat = new Intl.DateTimeFormat([], { weekday: "short", day: "numeric", month: "short", timeZone: zone });
const dayKey = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone });

// "14:05", or "Tue 3 Jun 14:05" when not today (in the fleet's zone)
export function clock(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const text = clockFormat.format(at);
  return dayKey.format(at) === dayKey.format(new Date()) ? text : `${dayFormat.format(at)} ${text}`;
}

export function windowText(start, end) {
  if (!start && !end) return "";
  if (start && end) return `${clock(start)}–${clockFormat.format(new Date(end))}`;
  return start ? `from ${clock(start)}` : `by ${clock(end)}`;
}

// 45 s, 12 min, 1 h 05
export function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
  return `${h} h ${String(m).padStart(2, "0")}`;
}

// ages tick every few seconds: under a minute is "<1 min", not a count of seconds
export function since(iso) {
  if (!iso) return "";
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  return s < 60 ? "<1 min" : duration(s);
}

export const km = (m) => (m == null ? "" : m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`);

const moneyFormats = new Map();
export function money(minor, currency) {
  if (minor == null || !currency) return "";
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(currency, new Intl.NumberFormat([], { style: "currency", currency }));
  }
  const format = moneyFormats.get(currency);
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(minor / 10 ** digits);
}

// a value typed into <input type="datetime-local"> read as the fleet's local time, as an ISO instant
export function fromFleetLocal(value) {
  if (!value) return null;
  const asUtc = new Date(`${value}:00Z`);
  if (Number.isNaN(asUtc.getTime())) return null;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(asUtc).map((p) => [p.type, p.value]),
  );
  const shown = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return new Date(asUtc.getTime() - (shown - asUtc.getTime())).toISOString();
}

export const ref = (id) => `#${String(id).slice(0, 8)}`;

export function load(trip) {
  const parts = [];
  if (trip.seats) parts.push(trip.seats === 1 ? "1 seat" : `${trip.seats} seats`);
  if (trip.weight_kg) parts.push(`${trip.weight_kg} kg`);
  if (trip.parcels) parts.push(trip.parcels === 1 ? "1 parcel" : `${trip.parcels} parcels`);
  return parts.join(", ");
}

export const STATUS_LABEL = {
  requested: "Requested", assigned: "Assigned", en_route: "En route", at_pickup: "At pickup",
  in_progress: "In progress", completed: "Completed", cancelled: "Cancelled", failed: "Failed",
};
