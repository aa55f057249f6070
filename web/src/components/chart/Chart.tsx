// One ECharts chart in a box that follows its container's size. Tooltips are
// built as DOM nodes (see tooltip.ts): ECharts' own HTML would carry inline
// styles, which the server's Content-Security-Policy refuses.

import { useEffect, useRef } from 'preact/hooks';
import { init, type ChartOption, type ECElementEvent, type ECharts } from './echarts';

interface Props {
  option: ChartOption;
  /** What the chart shows, for screen readers (ECharts adds a summary of the data). */
  label: string;
  height?: number;
  onClick?: (e: ECElementEvent) => void;
}

/** The box of a chart keeps its ECharts instance at hand, for the browser tests and the developer tools. */
export type ChartBox = HTMLDivElement & { chart?: ECharts };

/** The app's palette for charts: readable on white, apart for common color blindness. */
export const CHART_COLORS = ['#3347b0', '#c2410c', '#0f766e', '#a21caf', '#4d7c0f', '#be123c', '#0369a1', '#854d0e'];

export function Chart({ option, label, height = 240, onClick }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | undefined>(undefined);
  const click = useRef(onClick);
  click.current = onClick;

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const c = init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    (el as ChartBox).chart = c;
    c.on('click', (e) => click.current?.(e));
    // A box of no size (leaving the page, hidden) is not drawn: some charts (graphs) cannot lay out in it.
    const resize = new ResizeObserver(() => {
      if (!c.isDisposed() && el.clientWidth > 0 && el.clientHeight > 0) c.resize();
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        color: CHART_COLORS,
        aria: { enabled: true, label: { description: label } },
        textStyle: { fontFamily: 'inherit' },
        animationDuration: 300,
        ...option,
      },
      { notMerge: true },
    );
  }, [option, label]);

  return (
    <div class="chart" ref={box} role="img" aria-label={label} data-chart={label} style={{ height: `${height}px` }} />
  );
}
