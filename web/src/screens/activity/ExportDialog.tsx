// Export (seed 004, "For Compliance"): choose a date range and a format, and the
// browser downloads the file as the server streams it (GET /api/v1/export), so
// even a large export never sits in the page's memory.

import { useId, useState } from 'preact/hooks';
import { events } from '../../api/endpoints';
import type { ExportFormat } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { customRange, DATE_PRESETS, dateTerm, filterTerms, type Filters } from './filters';

const FORMATS: { value: ExportFormat; label: string; hint: string }[] = [
  {
    value: 'csv',
    label: 'CSV',
    hint: 'for spreadsheets; starts with timestamp, user, action, resource, status, ip_address',
  },
  { value: 'json', label: 'JSON', hint: 'one array with every field of each event' },
  { value: 'ndjson', label: 'JSON lines', hint: 'one event per line, for log tools' },
];

interface Props {
  filters: Filters;
  onClose: () => void;
  onStarted: (what: string) => void;
}

type Range = 'filters' | 'all' | 'custom' | (typeof DATE_PRESETS)[number]['value'];

export function ExportDialog({ filters, onClose, onStarted }: Props) {
  const id = useId();
  const current = dateTerm(filters);
  const [range, setRange] = useState<Range>(current ? 'filters' : '30d');
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [problem, setProblem] = useState<string>();

  const rangeTerm = (): { term?: string; problem?: string } => {
    if (range === 'filters') return { term: current };
    if (range === 'all') return {};
    if (range === 'custom') return customRange(from, to);
    return { term: `date:${range}` };
  };
  const chosen = rangeTerm();
  const query = [filters.text.trim(), ...filterTerms(filters, { withDate: false }), chosen.term ?? '']
    .filter(Boolean)
    .join(' ');

  const download = (): void => {
    if (chosen.problem) {
      setProblem(chosen.problem);
      return;
    }
    // An ordinary download: the browser streams the answer to disk, and the
    // session cookie goes with it (same origin).
    const a = document.createElement('a');
    a.href = events.exportUrl(query, format);
    a.download = '';
    document.body.append(a);
    a.click();
    a.remove();
    onStarted(
      `Export started: your browser is downloading the ${FORMATS.find((f) => f.value === format)?.label} file.`,
    );
    onClose();
  };

  return (
    <Dialog title="Export activity" onClose={onClose}>
      <form
        class="dialog-body export"
        onSubmit={(e) => {
          e.preventDefault();
          download();
        }}
      >
        <fieldset>
          <legend>Date range</legend>
          {current ? (
            <Radio
              name={`${id}-range`}
              checked={range === 'filters'}
              onSelect={() => setRange('filters')}
              label={`As filtered (${current.slice(5)})`}
            />
          ) : null}
          {DATE_PRESETS.map((p) => (
            <Radio
              key={p.value}
              name={`${id}-range`}
              checked={range === p.value}
              onSelect={() => setRange(p.value)}
              label={p.label}
            />
          ))}
          <Radio name={`${id}-range`} checked={range === 'all'} onSelect={() => setRange('all')} label="Everything" />
          <Radio
            name={`${id}-range`}
            checked={range === 'custom'}
            onSelect={() => setRange('custom')}
            label="Custom range"
          />
          {range === 'custom' ? (
            <div class="date-range">
              <label>
                From
                <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
              </label>
              <label>
                To
                <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
              </label>
            </div>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          {FORMATS.map((f) => (
            <Radio
              key={f.value}
              name={`${id}-format`}
              checked={format === f.value}
              onSelect={() => setFormat(f.value)}
              label={f.label}
              hint={f.hint}
            />
          ))}
        </fieldset>
        <p class="export-query">
          Exports every event matching <code>{query || '(everything)'}</code>, newest first, with the other filters and
          the search as they are now. The export is recorded in the log.
        </p>
        {problem ? (
          <p class="field-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary">
            Download
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Radio({
  name,
  checked,
  onSelect,
  label,
  hint,
}: {
  name: string;
  checked: boolean;
  onSelect: () => void;
  label: string;
  hint?: string;
}) {
  return (
    <label class="radio">
      <input type="radio" name={name} checked={checked} onChange={onSelect} />
      <span>
        {label}
        {hint ? <span class="radio-hint"> — {hint}</span> : null}
      </span>
    </label>
  );
}
