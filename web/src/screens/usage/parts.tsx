// Pieces every Usage Analysis tab uses: a chart with its data as a table (for
// keyboard and screen-reader users, who cannot click a canvas), cards with the
// change against the previous period, a sparkline, and the states of a view
// (loading, failed, empty).

import type { ComponentChildren } from 'preact';
import type { Card, Span } from '../../api/usage';
import { Chart } from '../../components/chart/Chart';
import type { ChartOption, ECElementEvent } from '../../components/chart/echarts';
import { EmptyState } from '../../components/EmptyState';
import { Notice } from '../../components/Notice';
import { formatCount, formatDuration, viewerZone } from '../../lib/format';
import { bucketLabel } from './charts';
import type { View } from './useView';

export interface DataRow {
  /** The row's key: what choosing it selects. */
  key: string;
  cells: (string | number)[];
}

interface FigureProps {
  title: string;
  /** Under the title: what a click does, what the chart is filtered by. */
  note?: ComponentChildren;
  option: ChartOption;
  height?: number;
  onClick?: (e: ECElementEvent) => void;
  /** The chart's data as a table; rows with `onRow` are buttons, as the chart's elements are. */
  columns: string[];
  rows: DataRow[];
  onRow?: (key: string) => void;
  selected?: string | undefined;
  class?: string;
}

/** A chart, its title, and its data as a table that opens under it. */
export function ChartFigure(props: FigureProps) {
  const { title, note, option, height, onClick, columns, rows, onRow, selected } = props;
  return (
    <figure class={`ua-figure ${props.class ?? ''}`}>
      <figcaption>
        <span class="ua-figure-title">{title}</span>
        {note ? <span class="ua-figure-note">{note}</span> : null}
      </figcaption>
      <Chart option={option} label={title} height={height} onClick={onClick} />
      <details class="ua-data">
        <summary>Data as a table</summary>
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-key={r.key} class={r.key === selected ? 'is-selected' : undefined}>
                {r.cells.map((c, i) => {
                  const text = typeof c === 'number' ? formatCount(c) : c;
                  if (i === 0 && onRow) {
                    return (
                      <th scope="row" key={i}>
                        <button type="button" class="link-button" onClick={() => onRow(r.key)}>
                          {text}
                        </button>
                      </th>
                    );
                  }
                  return i === 0 ? (
                    <th scope="row" key={i}>
                      {text}
                    </th>
                  ) : (
                    <td key={i}>{text}</td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** `+12%`, `−3%`, or nothing when there was nothing before. */
export function change(c: Card): string {
  if (c.change === null) return c.current ? 'new' : '';
  const pct = Math.round(c.change * 100);
  if (pct === 0) return '±0%';
  return pct > 0 ? `+${pct}%` : `−${Math.abs(pct)}%`;
}

interface DeltaProps {
  label: string;
  card: Card;
  /** More is worse (errors): the change reads red when it grows. */
  moreIsWorse?: boolean;
  previousLabel: string;
}

/** A figure of this period, with the change against the period before. */
export function DeltaCard({ label, card, moreIsWorse = false, previousLabel }: DeltaProps) {
  const grew = card.current > card.previous;
  const fell = card.current < card.previous;
  const tone = (grew && moreIsWorse) || (fell && !moreIsWorse) ? 'is-down' : grew || fell ? 'is-up' : '';
  const delta = change(card);
  return (
    <div class="card ua-card" data-card={label}>
      <span class="card-label">{label}</span>
      <strong class="card-value">{formatCount(card.current)}</strong>
      <span class={`ua-delta ${tone}`}>
        {delta ? (
          <>
            <span aria-hidden="true">{grew ? '▲' : fell ? '▼' : '●'}</span> {delta}{' '}
          </>
        ) : null}
        <span class="muted">
          vs {formatCount(card.previous)} {previousLabel}
        </span>
      </span>
    </div>
  );
}

/** A small line of counts, drawn as SVG (attributes, not styles: the CSP allows them). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 96;
  const h = 24;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`);
  return (
    <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label}>
      <polyline points={points.join(' ')} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/** Milliseconds of a quantile (fractional) as a duration. */
export const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : formatDuration(Math.round(v));

/** `42%`. */
export const percent = (share: number): string => `${Math.round(share * 100)}%`;

interface FrameProps<T> {
  view: View<T>;
  /** What is loading, for screen readers: `the packages`. */
  what: string;
  /** Whether an answer has nothing to show. */
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}

/** A view's answer, or that it is loading, failed (in plain words) or has nothing to show. */
export function ViewFrame<T>({ view, what, isEmpty, empty, children }: FrameProps<T>) {
  if (view.error) {
    return (
      <Notice kind="error" title={`Could not load ${what}`}>
        {view.error}
      </Notice>
    );
  }
  if (!view.data) return <div class="loading" aria-busy="true" aria-label={`Loading ${what}`} />;
  if (isEmpty?.(view.data)) return <>{empty}</>;
  return <>{children(view.data)}</>;
}

/** Nothing in the period: say so, and what to try. */
export function NothingHere({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <EmptyState title={title}>
      {children ?? <p>Choose a longer date range or fewer filters in the toolbox above.</p>}
    </EmptyState>
  );
}

/** Under a linked chart: what it is narrowed to, and how to undo it. */
export function LinkedNote({ what, onClear }: { what: string; onClear: () => void }) {
  return (
    <>
      Filtered by the selected {what}.{' '}
      <button type="button" class="link-button" onClick={onClear}>
        Show all
      </button>
    </>
  );
}

/** The window an answer covers, as the API widened it to whole buckets. */
export function SpanLine({ span, children }: { span: Span; children?: ComponentChildren }) {
  const last = new Date(Date.parse(span.to) - 1).toISOString();
  const zone = span.bucket === 'day' ? 'UTC days' : `${span.bucket}s, in ${viewerZone}`;
  return (
    <p class="ua-span">
      {bucketLabel(span.from, span.bucket)} – {bucketLabel(last, span.bucket)} ({zone}){children}
    </p>
  );
}

export interface MiniColumn {
  header: string;
  /** Numbers: right-aligned. */
  num?: boolean;
}

export interface MiniRow {
  key: string;
  /** The first cell heads the row. */
  cells: ComponentChildren[];
  marked?: boolean;
}

/** A small table of a panel or a section: a header row, and rows headed by their first cell. */
export function MiniTable({ label, columns, rows }: { label: string; columns: MiniColumn[]; rows: MiniRow[] }) {
  const cls = (c: MiniColumn | undefined): string | undefined => (c?.num ? 'ua-num' : undefined);
  return (
    <table class="ua-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c.header} class={cls(c)}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} class={r.marked ? 'is-selected' : undefined}>
            {r.cells.map((cell, i) =>
              i === 0 ? (
                <th scope="row" key={i}>
                  {cell}
                </th>
              ) : (
                <td key={i} class={cls(columns[i])}>
                  {cell}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
