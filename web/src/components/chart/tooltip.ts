// Tooltip content as DOM nodes with classes (styled in styles/charts.css), for
// ECharts' `tooltip.formatter`.

export interface TooltipLine {
  color?: string;
  name: string;
  value: string;
}

export function tooltip(title: string, lines: TooltipLine[]): HTMLElement {
  const root = document.createElement('div');
  root.className = 'chart-tip';
  const head = document.createElement('div');
  head.className = 'chart-tip-title';
  head.textContent = title;
  root.append(head);
  for (const line of lines) {
    const row = document.createElement('div');
    row.className = 'chart-tip-row';
    const dot = document.createElement('span');
    dot.className = 'chart-tip-dot';
    // CSSOM, not a style attribute: allowed by the CSP.
    if (line.color) dot.style.backgroundColor = line.color;
    const name = document.createElement('span');
    name.textContent = line.name;
    const value = document.createElement('strong');
    value.textContent = line.value;
    row.append(dot, name, value);
    root.append(row);
  }
  return root;
}
