// The parts of Apache ECharts the app uses, and nothing else: importing from
// 'echarts/core' keeps the rest out of the bundle. Add a chart or component
// here (and to ChartOption) when a screen needs it.

import { use, type ComposeOption } from 'echarts/core';
import {
  BarChart,
  GraphChart,
  LineChart,
  ScatterChart,
  type BarSeriesOption,
  type GraphSeriesOption,
  type LineSeriesOption,
  type ScatterSeriesOption,
} from 'echarts/charts';
import {
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  type AriaComponentOption,
  type DataZoomComponentOption,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  BarChart,
  LineChart,
  ScatterChart,
  GraphChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  AriaComponent,
  CanvasRenderer,
]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | ScatterSeriesOption
  | GraphSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | DataZoomComponentOption
  | AriaComponentOption
>;

export { init, type ECharts, type ECElementEvent } from 'echarts/core';
