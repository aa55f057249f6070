// Before and after of a change, side by side, with the changed fields
// highlighted; and the list of changed fields as seed 004 shows them
// (`title: "Report" → "Q2 Sales Report"`).

import type { Changes, Json } from '../../api/types';

interface Line {
  depth: number;
  text: string;
  /** The dotted path of the field the line belongs to ('' for the top). */
  path: string;
}

function render(v: Json): string {
  return JSON.stringify(v);
}

/** The value as indented lines, each knowing its field's path. */
function jsonLines(value: Json, path = '', depth = 0, label = ''): Line[] {
  const prefix = label ? `${JSON.stringify(label)}: ` : '';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ depth, text: `${prefix}${render(value)}`, path }];
  }
  const keys = Object.keys(value).sort();
  if (!keys.length) return [{ depth, text: `${prefix}{}`, path }];
  const inner = keys.flatMap((k, i) => {
    const child = jsonLines(value[k] ?? null, path ? `${path}.${k}` : k, depth + 1, k);
    const end = child[child.length - 1];
    // Commas between members, so that what is shown is JSON as it can be copied.
    if (end && i < keys.length - 1) end.text += ',';
    return child;
  });
  return [{ depth, text: `${prefix}{`, path }, ...inner, { depth, text: '}', path }];
}

/** Whether a line's field changed: the field itself, or one it is nested in. */
function isChanged(path: string, changed: string[]): boolean {
  return changed.some((c) => c === '' || path === c || path.startsWith(`${c}.`));
}

/** The braces around the whole object are never a change of their own. */
const isFrame = (l: Line): boolean => l.depth === 0 && (l.text === '{' || l.text === '}');

/** A JSON value as indented lines, those of the `changed` fields (dotted paths) marked. */
export function JsonSide({
  title,
  value,
  changed,
  tone,
}: {
  title: string;
  value: Json;
  changed: string[];
  tone: 'before' | 'after';
}) {
  const lines = jsonLines(value);
  return (
    <figure class={`json-side json-${tone}`}>
      <figcaption>{title}</figcaption>
      <pre>
        {lines.map((l, i) => {
          const hit = !isFrame(l) && isChanged(l.path, changed);
          return (
            <span key={i} class={`json-line ${hit ? 'is-changed' : ''}`} data-path={l.path}>
              {'  '.repeat(l.depth)}
              {l.text}
              {hit ? <span class="visually-hidden"> (changed)</span> : null}
              {'\n'}
            </span>
          );
        })}
      </pre>
    </figure>
  );
}

export function ChangesView({ changes }: { changes: Changes }) {
  const changed = changes.changed.map((c) => c.field);
  return (
    <div class="changes">
      <ul class="changed-fields" aria-label="Changed fields">
        {changes.changed.map((c) => (
          <li key={c.field}>
            <code class="changed-name">{c.field || '(the whole value)'}</code>:{' '}
            <code class="changed-before">{c.before === null ? 'absent' : render(c.before)}</code>
            <span aria-label="changed to"> → </span>
            <code class="changed-after">{c.after === null ? 'removed' : render(c.after)}</code>
          </li>
        ))}
      </ul>
      <div class="json-pair">
        <JsonSide title="Before" value={changes.before} changed={changed} tone="before" />
        <JsonSide title="After" value={changes.after} changed={changed} tone="after" />
      </div>
    </div>
  );
}
