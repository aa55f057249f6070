// Days chosen with a date input, as instants for the API.

/** The end of a `YYYY-MM-DD` day in the viewer's time zone (the next midnight), as RFC 3339. */
export function endOfDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1).toISOString();
}

/** The last day an instant made by `endOfDay` covers, as `YYYY-MM-DD` in the viewer's time zone. */
export function lastDay(iso: string): string {
  const t = new Date(Date.parse(iso) - 1);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}
