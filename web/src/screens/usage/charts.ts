// The charts of Usage Analysis as ECharts options: time buckets, bars, lines
// over time and the scatter plots (x = time, y = package or function, size =
// events, color = person). Only types are imported from ECharts here; the
// library itself comes with components/chart/Chart.tsx, loaded with the tab.

import type { Span } from '../../api/usage';
import { CHART_COLORS } from '../../components/chart/Chart';
import type { ChartOption } from '../../components/chart/echarts';
import { tooltip, type TooltipLine } from '../../components/chart/tooltip';
import { formatCount, formatTime } from '../../lib/format';

const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Every bucket of a window, oldest first, as the API writes them (RFC 3339, UTC). */
export function bucketsOf(span: Span): string[] {
  const step = STEP_MS[span.bucket];
  const from = Date.parse(span.from);
  const to = Date.parse(span.to);
  const out: string[] = [];
  for (let t = from; t < to && out.length < 5000; t += step) out.push(new Date(t).toISOString());
  return out;
}

/** A bucket as it reads: the UTC day for days, else the viewer's time to the minute. */
export function bucketLabel(iso: string, bucket: Span['bucket']): string {
  if (bucket === 'day') return iso.slice(0, 10);
  return formatTime(iso).slice(0, 16);
}

/** The same instant, whatever its writing (`…00Z` or `…00.000Z`). */
export const bucketKey = (iso: string): number => Date.parse(iso);

/** Values per bucket of the window, zero where the API has none. */
export function perBucket(span: Span, points: { bucket: string; count: number }[]): number[] {
  const counts = new Map(points.map((p) => [bucketKey(p.bucket), p.count]));
  return bucketsOf(span).map((b) => counts.get(bucketKey(b)) ?? 0);
}

/** A stable color for each person, by their place in the view's people. */
export function personColor(index: number): string {
  if (index < CHART_COLORS.length) return CHART_COLORS[index] ?? '#3347b0';
  // Beyond the palette: hues spread by the golden angle, dark enough to read on white.
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue} 62% 38%)`;
}

const ZOOM = [
  { type: 'inside' as const, xAxisIndex: 0 },
  { type: 'slider' as const, xAxisIndex: 0, height: 16, bottom: 6, showDetail: false, brushSelect: false },
];

const SELECTED = '#c2410c';

const short = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** `1.2K`: axis labels that fit. */
const compact = (v: number): string => short.format(v);
const FADED = 0.25;

export interface Bars {
  names: string[];
  values: number[];
  /** The name of the bar to mark (selected). */
  selected?: string | undefined;
  /** What a value counts, for the tooltip: `people`. */
  unit: string;
  /** More lines of the tooltip for a bar. */
  more?: (index: number) => TooltipLine[];
}

/** Horizontal bars, the largest on top; the selected one in another color. */
export function barOption({ names, values, selected, unit, more }: Bars): ChartOption {
  const longest = Math.max(0, ...names.map((n) => n.length));
  return {
    grid: { left: Math.min(200, 24 + longest * 7), right: 40, top: 8, bottom: 24 },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => {
        const i = (Array.isArray(p) ? p[0] : p)?.dataIndex ?? 0;
        return tooltip(names[i] ?? '', [{ name: unit, value: formatCount(values[i] ?? 0) }, ...(more?.(i) ?? [])]);
      },
    },
    xAxis: { type: 'value', minInterval: 1, splitNumber: 3, axisLabel: { formatter: compact } },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 180, overflow: 'truncate' } },
    series: [
      {
        type: 'bar',
        name: unit,
        cursor: 'pointer',
        data: names.map((n, i) => ({
          value: values[i] ?? 0,
          itemStyle: selected
            ? { color: n === selected ? SELECTED : '#3347b0', opacity: n === selected ? 1 : 0.55 }
            : {},
        })),
        label: { show: true, position: 'right', formatter: (p) => formatCount(Number(p.value)) },
      },
    ],
  };
}

export interface Lines {
  span: Span;
  /** Values per bucket; null leaves a gap (nothing to measure there). */
  series: { name: string; values: (number | null)[]; color?: string | undefined; dashed?: boolean }[];
  /** The tooltip's unit after each value: ` ms`. */
  suffix?: string;
  stacked?: boolean;
  area?: boolean;
}

/** Values over the window's buckets, with a zoom on the time axis. */
export function lineOption({ span, series, suffix = '', stacked = false, area = false }: Lines): ChartOption {
  const buckets = bucketsOf(span);
  const labels = buckets.map((b) => bucketLabel(b, span.bucket));
  return {
    grid: { left: 48, right: 16, top: series.length > 1 ? 30 : 12, bottom: 56 },
    legend: series.length > 1 ? { top: 0, left: 0, type: 'scroll', itemWidth: 14, itemHeight: 10 } : undefined,
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const i = list[0]?.dataIndex ?? 0;
        return tooltip(
          labels[i] ?? '',
          list.map((p) => ({
            name: p.seriesName ?? '',
            value:
              p.value === null || p.value === undefined ? '—' : `${formatCount(Math.round(Number(p.value)))}${suffix}`,
            color: typeof p.color === 'string' ? p.color : undefined,
          })),
        );
      },
    },
    xAxis: { type: 'category', data: labels, boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: compact } },
    dataZoom: ZOOM,
    series: series.map((s) => ({
      type: 'line',
      name: s.name,
      data: s.values,
      color: s.color,
      stack: stacked ? 'all' : undefined,
      areaStyle: area ? { opacity: 0.18 } : undefined,
      lineStyle: s.dashed ? { type: 'dashed' } : undefined,
      showSymbol: buckets.length <= 40,
      // A click on the line (or its area) counts, not only on its points.
      triggerEvent: true,
      symbolSize: 6,
      cursor: 'pointer',
      emphasis: { focus: 'series' },
    })),
  };
}

export interface ScatterPoint {
  /** The row (a package, a function or a person). */
  row: string;
  bucket: string;
  user: string;
  events: number;
}

export interface Scatter {
  span: Span;
  rows: string[];
  points: ScatterPoint[];
  /** People by id: their label and color. */
  people: Map<string, { label: string; color: string }>;
  /** What a dot counts: `events`, `runs`. */
  unit: string;
  /** The dot to mark (`bucket~user~row`, see dotKey). */
  marked?: string | undefined;
  /** Set people's dots apart within a row (when a row holds many people). */
  jitter?: boolean;
}

/** A dot as the address keeps it (`dot=`): its bucket and person. */
export const dotParam = (p: Pick<ScatterPoint, 'bucket' | 'user'>): string =>
  `${new Date(bucketKey(p.bucket)).toISOString()}~${p.user}`;

/** A dot with its row, to tell it apart in a scatter plot. */
export const dotKey = (p: Pick<ScatterPoint, 'bucket' | 'user' | 'row'>): string => `${dotParam(p)}~${p.row}`;

/**
 * x = time bucket, y = row, size = count, color = person: one series per
 * person (the legend turns people off and on).
 */
export function scatterOption({ span, rows, points, people, unit, marked, jitter = false }: Scatter): ChartOption {
  const buckets = bucketsOf(span);
  const labels = buckets.map((b) => bucketLabel(b, span.bucket));
  const col = new Map(buckets.map((b, i) => [bucketKey(b), i]));
  const line = new Map(rows.map((r, i) => [r, i]));
  const max = Math.max(1, ...points.map((p) => p.events));
  const byUser = new Map<string, ScatterPoint[]>();
  for (const p of points) {
    if (!line.has(p.row)) continue;
    const list = byUser.get(p.user) ?? [];
    list.push(p);
    byUser.set(p.user, list);
  }
  const users = [...byUser.keys()].sort((a, b) => (people.get(a)?.label ?? a).localeCompare(people.get(b)?.label ?? b));
  const longest = Math.max(0, ...rows.map((r) => r.length));
  const place = new Map(users.map((u, i) => [u, i]));
  // Up to ±0.3 of a row, the same for a person in every row and bucket.
  const offset = (u: string): number => (((place.get(u) ?? 0) % 9) - 4) * 0.075;
  return {
    grid: { left: Math.min(220, 24 + longest * 7), right: 20, top: 34, bottom: 56 },
    legend: { type: 'scroll', top: 0, left: 0, right: 0, itemWidth: 10, itemHeight: 10, icon: 'circle' },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        const v = (item?.value ?? []) as number[];
        const who = people.get(users[item?.seriesIndex ?? 0] ?? '');
        return tooltip(rows[v[3] ?? 0] ?? '', [
          { name: 'When', value: labels[v[0] ?? 0] ?? '' },
          { name: 'Who', value: who?.label ?? '', color: who?.color },
          { name: unit, value: formatCount(v[2] ?? 0) },
        ]);
      },
    },
    xAxis: {
      type: 'category',
      data: labels,
      axisLine: { onZero: false },
      splitLine: { show: true, lineStyle: { color: '#eef0f4' } },
    },
    // The rows' names on a category axis; the dots on a hidden value axis over the same bands,
    // so that people's dots can sit apart within a row.
    yAxis: [
      {
        type: 'category',
        data: rows,
        inverse: true,
        axisLabel: { width: 200, overflow: 'truncate' },
        splitLine: { show: true, lineStyle: { color: '#eef0f4' } },
      },
      { type: 'value', min: -0.5, max: Math.max(0.5, rows.length - 0.5), inverse: true, show: false },
    ],
    dataZoom: ZOOM,
    series: users.map((u) => ({
      type: 'scatter',
      yAxisIndex: 1,
      name: people.get(u)?.label ?? u,
      color: people.get(u)?.color,
      cursor: 'pointer',
      data: (byUser.get(u) ?? []).map((p) => {
        const isMarked = marked === dotKey(p);
        const y = line.get(p.row) ?? 0;
        // [bucket, row with the person's offset, count, row]
        return {
          value: [col.get(bucketKey(p.bucket)) ?? 0, y + (jitter ? offset(u) : 0), p.events, y],
          itemStyle: isMarked
            ? { borderColor: '#1b2130', borderWidth: 2.5, opacity: 1 }
            : marked
              ? { opacity: FADED + 0.35 }
              : { opacity: 0.8 },
        };
      }),
      symbolSize: (v: number[]) => 5 + (jitter ? 13 : 20) * Math.sqrt((v[2] ?? 0) / max),
    })),
  };
}

/** The dot a click on a scatter series hit. */
export function clickedDot(opt: Scatter, seriesName: string | undefined, value: unknown): ScatterPoint | undefined {
  const v = value as number[] | undefined;
  if (!v) return undefined;
  const buckets = bucketsOf(opt.span);
  const bucket = buckets[v[0] ?? -1];
  const row = opt.rows[v[3] ?? -1];
  const user = [...opt.people.entries()].find(([, p]) => p.label === seriesName)?.[0];
  if (!bucket || row === undefined || !user) return undefined;
  return opt.points.find((p) => p.row === row && p.user === user && bucketKey(p.bucket) === bucketKey(bucket));
}
