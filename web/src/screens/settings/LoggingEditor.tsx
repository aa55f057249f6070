// One logging setting: the mode, and per event type whether it is recorded
// (switchable in Custom; shown for the other modes) and its throttle window.

import { useMemo, useState } from 'preact/hooks';
import { describe } from '../../api/errors';
import type { Policy, Preset } from '../../api/settings';
import type { EventType } from '../../api/types';
import { MAX_THROTTLE_SECONDS, MODES, records, targetLabel, typeRows, window, type Target } from './logging-model';
import { AddInput } from './form';
import { TableHead } from './ui';
import { FieldProblem } from '../../components/FieldProblem';

interface Props {
  target: Target;
  /** The saved setting; none for a new one. */
  saved: Policy | undefined;
  types: EventType[];
  onSave: (policy: Policy) => Promise<void>;
  onRemove: () => void;
}

const NEW: Policy = { level: 'standard', enable: [], disable: [], throttle: {} };

const throttleText = (p: Policy): Record<string, string> =>
  Object.fromEntries(Object.entries(p.throttle).map(([t, s]) => [t, String(s)]));

export function PolicyEditor({ target, saved, types, onSave, onRemove }: Props) {
  const start = saved ?? NEW;
  const [level, setLevel] = useState<Preset>(start.level);
  const [enable, setEnable] = useState<string[]>(start.enable);
  const [disable, setDisable] = useState<string[]>(start.disable);
  const [throttle, setThrottle] = useState<Record<string, string>>(throttleText(start));
  const [extra, setExtra] = useState<string[]>([]);
  const [filter, setFilter] = useState('');
  const [problem, setProblem] = useState<{ type?: string; message: string }>();
  const [busy, setBusy] = useState(false);

  const draft = { level, enable, disable };
  const rows = useMemo(
    () => typeRows(types, [...start.enable, ...start.disable, ...Object.keys(start.throttle), ...extra]),
    [types, start, extra],
  );
  const shown = rows.filter((r) => r.name.includes(filter.trim().toLowerCase()));

  const policy = (): Policy | { type: string; message: string } => {
    const out: Record<string, number> = {};
    for (const [type, text] of Object.entries(throttle)) {
      if (!text.trim()) continue;
      const seconds = Number(text);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_THROTTLE_SECONDS) {
        return {
          type,
          message: `The throttle window of ${type} must be a whole number of seconds, 1 to 86400 (a day).`,
        };
      }
      out[type] = seconds;
    }
    const custom = level === 'custom';
    return { level, enable: custom ? enable : [], disable: custom ? disable : [], throttle: out };
  };
  const current = policy();
  const dirty = !saved || JSON.stringify(current) !== JSON.stringify(start);

  const toggle = (type: string, typeLevel: string | undefined, on: boolean): void => {
    const debug = typeLevel === 'debug';
    // Off: listed in disable. On: out of disable, and in enable when only
    // enable records it (a debug-level type).
    setDisable(on ? disable.filter((t) => t !== type) : [...disable.filter((t) => t !== type), type]);
    setEnable(on && debug ? [...enable.filter((t) => t !== type), type] : enable.filter((t) => t !== type));
  };

  const save = async (): Promise<void> => {
    if ('message' in current) {
      setProblem(current);
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await onSave(current);
    } catch (e) {
      setProblem({ message: describe(e) });
    }
    setBusy(false);
  };

  const discard = (): void => {
    setLevel(start.level);
    setEnable(start.enable);
    setDisable(start.disable);
    setThrottle(throttleText(start));
    setProblem(undefined);
  };

  return (
    <form
      class="policy-editor"
      // The throttle windows are checked here, with the problem said in words.
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div class="editor-head">
        <h2>{targetLabel(target)}</h2>
        {dirty ? <span class="unsaved">{saved ? 'Unsaved changes' : 'New, not saved yet'}</span> : null}
      </div>
      <fieldset class="modes">
        <legend>Mode</legend>
        {MODES.map((m) => (
          <label key={m.level} class={`mode ${level === m.level ? 'is-chosen' : ''}`}>
            <input type="radio" name="mode" checked={level === m.level} onChange={() => setLevel(m.level)} />
            <span>
              <strong>{m.label}</strong>
              <span class="mode-hint">{m.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div class="types-head">
        <h3 id="types-title">Event types</h3>
        <label class="inline-label">
          Find
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <p class="field-hint">
        {level === 'custom'
          ? 'Tick the types to record. '
          : `What ${MODES.find((m) => m.level === level)?.label} records; choose Custom to switch types one by one. `}
        A throttle window keeps at most one event of the type per person per window; the next one recorded says how many
        were held back.
      </p>
      <div class="types-scroll">
        <table class="settings-table types-table" aria-labelledby="types-title">
          <TableHead columns={['Type', 'Level', 'Recorded', 'Throttle window (seconds)']} actions={false} />
          <tbody>
            {shown.map((r) => {
              const on = records(draft, r.name, r.level);
              const seconds = Number(throttle[r.name]);
              return (
                <tr key={r.name} data-type={r.name} class={on ? '' : 'is-off'}>
                  <th scope="row">
                    <code>{r.name}</code>
                  </th>
                  <td class="muted">{r.level ?? 'not seen yet'}</td>
                  <td>
                    <label class="check">
                      <input
                        type="checkbox"
                        checked={on}
                        disabled={level !== 'custom'}
                        aria-label={`Record ${r.name}`}
                        onChange={(e) => toggle(r.name, r.level, e.currentTarget.checked)}
                      />
                      <span aria-hidden="true">{on ? 'yes' : 'no'}</span>
                    </label>
                  </td>
                  <td>
                    <input
                      type="number"
                      class="throttle"
                      min={1}
                      max={MAX_THROTTLE_SECONDS}
                      step={1}
                      placeholder="none"
                      value={throttle[r.name] ?? ''}
                      aria-label={`Throttle window of ${r.name}, in seconds`}
                      aria-invalid={problem?.type === r.name ? true : undefined}
                      onInput={(e) => setThrottle({ ...throttle, [r.name]: e.currentTarget.value })}
                    />
                    {seconds > 0 && Number.isInteger(seconds) && seconds <= MAX_THROTTLE_SECONDS ? (
                      <span class="muted"> one per {window(seconds)}</span>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!shown.length ? <p class="muted types-none">No event type contains “{filter}”.</p> : null}
      </div>
      <AddInput
        class="add-type"
        label="A type not listed (sent by your own code, e.g. my_log)"
        button="Add the type"
        onAdd={(t) => {
          if (!rows.some((r) => r.name === t)) setExtra([...extra, t]);
          setFilter(t);
        }}
      />
      {problem ? <FieldProblem>{problem.message}</FieldProblem> : null}
      <div class="editor-actions">
        <button type="submit" class="button primary" disabled={busy || !dirty}>
          Save
        </button>
        {saved ? (
          <button type="button" class="button" disabled={!dirty} onClick={discard}>
            Discard changes
          </button>
        ) : null}
        {saved ? (
          <button type="button" class="button danger" onClick={onRemove}>
            Remove this setting
          </button>
        ) : null}
      </div>
    </form>
  );
}
