// The Usage pane of a resource: totals, events per day (a bar per day, failures
// stacked on successes; a click opens that day's activity), the people who used
// it most and what they did most.

import { useMemo } from 'preact/hooks';
import type { EntityUsage, LabelCount } from '../../api/types';
import { navigate } from '../../app/router';
import { Chart } from '../../components/chart/Chart';
import type { ChartOption } from '../../components/chart/echarts';
import { tooltip } from '../../components/chart/tooltip';
import { Link } from '../../components/Link';
import { dayOf, formatCount } from '../../lib/format';
import { quote } from '../../lib/query';

interface Props {
  usage: EntityUsage;
  days: number;
  /** The search terms that name this resource. */
  scope: string;
}

const activityOn = (scope: string, day: string): string =>
  `/activity?q=${encodeURIComponent(scope)}&date=custom&from=${day}&to=${day}`;

export function UsagePane({ usage, days, scope }: Props) {
  const series = useMemo(() => perDay(usage, days), [usage, days]);
  const option = useMemo(() => dayChart(series), [series]);
  return (
    <div class="usage">
      <div class="cards">
        <Card label="Events" value={usage.events} />
        <Card label="Failures" value={usage.failures} tone={usage.failures ? 'bad' : undefined} />
        <Card label="People" value={usage.users} />
      </div>
      <div class="usage-grid">
        <figure class="usage-chart">
          <figcaption>Events per day</figcaption>
          <Chart
            option={option}
            label={`Events per day over the last ${days} days: ${formatCount(usage.events)} in all, ${formatCount(usage.failures)} failed`}
            height={220}
            onClick={(e) => {
              const day = series[e.dataIndex]?.day;
              if (day) navigate(activityOn(scope, day));
            }}
          />
        </figure>
        <TopList
          title="Top people"
          rows={usage.top_users}
          href={(l) => `/activity?q=${encodeURIComponent(scope)}&user=${encodeURIComponent(l)}`}
        />
        <TopList
          title="Top actions"
          rows={usage.top_actions}
          href={(l) => `/activity?q=${encodeURIComponent(scope)}&action=${encodeURIComponent(l)}`}
        />
      </div>
    </div>
  );
}

function Card({ label, value, tone }: { label: string; value: number; tone?: 'bad' | undefined }) {
  return (
    <div class={`card ${tone === 'bad' ? 'is-bad' : ''}`}>
      <span class="card-label">{label}</span>
      <strong class="card-value">{formatCount(value)}</strong>
    </div>
  );
}

function TopList({ title, rows, href }: { title: string; rows: LabelCount[]; href: (label: string) => string }) {
  const top = Math.max(1, ...rows.map((r) => r.events));
  return (
    <section class="toplist" aria-label={title}>
      <h3>{title}</h3>
      {rows.length ? (
        <ol>
          {rows.map((r) => (
            <li key={r.label}>
              <Link href={href(r.label)} title={`Activity: ${quote(r.label)}`}>
                {r.label}
              </Link>
              <span class="toplist-count">
                {formatCount(r.events)}
                {r.failures ? <span class="bad"> · {formatCount(r.failures)} failed</span> : null}
              </span>
              {/* The bar's length is data: set through the CSSOM, which the CSP allows. */}
              <span class="toplist-bar" aria-hidden="true" style={{ width: `${(100 * r.events) / top}%` }} />
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">None in this period.</p>
      )}
    </section>
  );
}

interface Day {
  day: string;
  events: number;
  failures: number;
}

/** Every day of the window, those without events at zero (the API lists only days with events). */
function perDay(usage: EntityUsage, days: number): Day[] {
  const counted = new Map(usage.per_day.map((d) => [d.day, d]));
  const now = new Date();
  const all = new Set(calendarDays(dayOf(new Date(now.getTime() - days * 86_400_000)), dayOf(now)));
  for (const d of usage.per_day) all.add(d.day);
  return [...all]
    .sort()
    .map((day) => ({ day, events: counted.get(day)?.events ?? 0, failures: counted.get(day)?.failures ?? 0 }));
}

/** `YYYY-MM-DD` days from `first` to `last`, counted on the calendar (no clock, no daylight saving). */
function calendarDays(first: string, last: string): string[] {
  const [y, m, d] = first.split('-').map(Number);
  const out: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const day = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + i)).toISOString().slice(0, 10);
    if (day > last) break;
    out.push(day);
  }
  return out;
}

function dayChart(days: Day[]): ChartOption {
  return {
    grid: { left: 40, right: 12, top: 28, bottom: 28 },
    legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 12 },
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const day = days[list[0]?.dataIndex ?? 0];
        return tooltip(day?.day ?? '', [
          { name: 'Events', value: formatCount(day?.events ?? 0) },
          { name: 'Failed', value: formatCount(day?.failures ?? 0), color: '#c2410c' },
        ]);
      },
    },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)), axisTick: { alignWithLabel: true } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        name: 'Events',
        type: 'bar',
        stack: 'events',
        data: days.map((d) => d.events - d.failures),
        color: '#3347b0',
        cursor: 'pointer',
      },
      {
        name: 'Failed',
        type: 'bar',
        stack: 'events',
        data: days.map((d) => d.failures),
        color: '#c2410c',
        cursor: 'pointer',
      },
    ],
  };
}
