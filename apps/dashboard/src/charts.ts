// Chart.js rendering of ChartData: bar charts for throughput and ratios, line charts for history.
// Animation is off, so a chart is fully drawn when its constructor returns.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartConfiguration, type Plugin,
} from 'chart.js';
import type { ChartData, Series } from './views.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const hues: Record<string, number> = {
  'tensorzoo-wasm': 152,
  'tensorzoo-reference': 95,
  'tfjs-wasm': 28,
  'ort-web': 210,
  'ort-node': 265,
};

/** A stable colour per implementation; more threads, darker shade. */
export function colorOf(series: Pick<Series, 'impl' | 'threads'>): string {
  const hue = hues[series.impl] ?? [...series.impl].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 360, 7);
  const lightness = Math.max(28, 58 - (series.threads - 1) * 14);
  return `hsl(${hue} 62% ${lightness}%)`;
}

/** Draws a dashed line at y = 1 on ratio charts. */
const parityLine: Plugin<'bar'> = {
  id: 'parityLine',
  afterDatasetsDraw(chart) {
    const scale = chart.scales.y;
    if (!scale || scale.min > 1 || scale.max < 1) return;
    const y = scale.getPixelForValue(1);
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = '#444';
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(chartArea.left, y);
    ctx.lineTo(chartArea.right, y);
    ctx.stroke();
    ctx.restore();
  },
};

const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));

export function drawChart(canvas: HTMLCanvasElement, data: ChartData, kind: 'bar' | 'ratio' | 'line'): Chart {
  const datasets = data.series.map((series) => ({
    label: series.label,
    data: series.values,
    backgroundColor: colorOf(series),
    borderColor: colorOf(series),
    spanGaps: true,
  }));
  const config = {
    type: kind === 'line' ? 'line' : 'bar',
    data: { labels: data.labels, datasets },
    plugins: kind === 'ratio' ? [parityLine] : [],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (item: { datasetIndex: number; dataIndex: number; parsed: { y: number | null } }) => {
              const series = data.series[item.datasetIndex]!;
              const range = series.ranges[item.dataIndex];
              const value = item.parsed.y ?? 0;
              return `${series.label}: ${format(value)} ${data.unit}${range ? ` [${format(range[0])}–${format(range[1])}]` : ''}`;
            },
          },
        },
      },
      scales: {
        y: { beginAtZero: kind !== 'line', title: { display: true, text: data.unit } },
      },
    },
  } as unknown as ChartConfiguration;
  return new Chart(canvas, config);
}
