// The linked pair of the Packages and Functions tabs: bars per package (or
// function) and the scatter plot of seed 003 (x = time, y = package or
// function, size = events, color = person). Clicking a bar or a dot selects
// the package: the scatter then shows only it, one row per person, and the
// context panel opens with its figures (and the dot's, when one was clicked).

import { useMemo } from 'preact/hooks';
import type { Dot, Span, UsagePerson } from '../../api/usage';
import { formatCount } from '../../lib/format';
import {
  barOption,
  bucketKey,
  bucketLabel,
  clickedDot,
  dotKey,
  dotParam,
  personColor,
  scatterOption,
  type Scatter,
} from './charts';
import { ChartFigure, LinkedNote } from './parts';
import { parseSel, select, type UsageState } from './state';

interface Props {
  state: UsageState;
  /** The view's answer: its window, dots and people (packages or functions). */
  answer: { span: Span; dots: Dot[]; dots_total: number; people: UsagePerson[] };
  /** The selection's field: `package`, `function`. */
  field: string;
  /** What the rows are, for titles: `package`, `function`. */
  noun: string;
  /** What a dot counts: `events`, `runs`. */
  unit: string;
  /** The rows, most used first, with the bar's value each. */
  rows: { name: string; value: number }[];
  /** What the bar's value is: `people`, `runs`. */
  barUnit: string;
}

/** People by id, with a label and a stable color. */
export function peopleIndex(people: UsagePerson[]): Map<string, { label: string; color: string }> {
  return new Map(people.map((p, i) => [p.id, { label: p.login, color: personColor(i) }]));
}

/** The dot the address names (`dot=bucket~person`) for the selected row, if any. */
export function selectedDot(dots: Dot[], name: string, dot: string): Dot | undefined {
  if (!dot) return undefined;
  const [bucket, user] = dot.split('~');
  const at = bucket ? bucketKey(bucket) : NaN;
  return dots.find((d) => d.name === name && d.user === user && bucketKey(d.bucket) === at);
}

export function ScatterBoard(props: Props) {
  const { state, answer, field, noun, unit, rows, barUnit } = props;
  const { span, dots, dots_total: dotsTotal, people } = answer;
  const sel = parseSel(state.sel);
  const chosen = sel.field === field ? sel.value : undefined;
  const who = useMemo(() => peopleIndex(people), [people]);

  const bars = useMemo(
    () =>
      barOption({
        names: rows.map((r) => r.name),
        values: rows.map((r) => r.value),
        unit: barUnit,
        selected: chosen,
      }),
    [rows, barUnit, chosen],
  );

  // Unselected: one row per package. Selected: the package's dots, one row per person.
  const scatter: Scatter = useMemo(() => {
    if (!chosen) {
      return {
        span,
        rows: rows.map((r) => r.name),
        points: dots.map((d) => ({ row: d.name, bucket: d.bucket, user: d.user, events: d.events })),
        people: who,
        unit,
        jitter: true,
      };
    }
    const mine = dots.filter((d) => d.name === chosen);
    const perPerson = new Map<string, number>();
    for (const d of mine) perPerson.set(d.user, (perPerson.get(d.user) ?? 0) + d.events);
    const order = [...perPerson.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => who.get(id)?.label ?? id);
    const marked = selectedDot(dots, chosen, state.dot);
    return {
      span,
      rows: order,
      points: mine.map((d) => ({
        row: who.get(d.user)?.label ?? d.user,
        bucket: d.bucket,
        user: d.user,
        events: d.events,
      })),
      people: who,
      unit,
      marked: marked ? dotKey({ ...marked, row: who.get(marked.user)?.label ?? marked.user }) : undefined,
    };
  }, [chosen, dots, rows, span, who, unit, state.dot]);
  const scatterChart = useMemo(() => scatterOption(scatter), [scatter]);

  const choose = (name: string, dot?: Dot): void =>
    select(state, `${field}:${name}`, { extra: dot ? { dot: dotParam(dot) } : {} });

  const shown = chosen ? scatter.points.length : dots.length;
  return (
    <div class="ua-board">
      <div class="ua-board-grid">
        <ChartFigure
          class="ua-board-bars"
          title={`${capital(barUnit)} per ${noun}`}
          note={`Click a bar to see the ${noun} alone in the scatter plot.`}
          option={bars}
          height={Math.max(150, 26 * rows.length + 36)}
          onClick={(e) => {
            const name = rows[e.dataIndex]?.name;
            if (name) choose(name);
          }}
          columns={[capital(noun), capital(barUnit)]}
          rows={rows.map((r) => ({ key: `${field}:${r.name}`, cells: [r.name, r.value] }))}
          onRow={(k) => choose(parseSel(k).value)}
          selected={state.sel}
        />
        <ChartFigure
          class="ua-board-scatter"
          title={chosen ? `${chosen}: who used it, when` : `${capital(noun)}s over time, by person`}
          note={
            chosen ? (
              <LinkedNote what={`${noun}`} onClear={() => select(state, '')} />
            ) : (
              <>
                Dot size: {unit}; color: person.{' '}
                {dotsTotal > dots.length
                  ? `The ${formatCount(dots.length)} largest of ${formatCount(dotsTotal)} dots.`
                  : ''}
              </>
            )
          }
          option={scatterChart}
          height={Math.max(220, 24 * scatter.rows.length + 100)}
          onClick={(e) => {
            const p = clickedDot(scatter, e.seriesName, e.value);
            if (!p) return;
            const dot = dots.find(
              (d) => d.user === p.user && bucketKey(d.bucket) === bucketKey(p.bucket) && d.name === (chosen ?? p.row),
            );
            if (dot) choose(dot.name, dot);
          }}
          columns={[capital(noun), span.bucket === 'day' ? 'Day (UTC)' : 'Time', 'Person', capital(unit)]}
          rows={scatter.points.slice(0, 500).map((p) => ({
            key: `${chosen ?? p.row}|${dotParam(p)}`,
            cells: [chosen ?? p.row, bucketLabel(p.bucket, span.bucket), who.get(p.user)?.label ?? p.user, p.events],
          }))}
          onRow={(key) => {
            const [name = '', at = ''] = key.split('|');
            const dot = selectedDot(dots, name, at);
            if (dot) choose(name, dot);
          }}
        />
      </div>
      {shown === 0 ? <p class="muted">No {unit} in this period.</p> : null}
    </div>
  );
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
