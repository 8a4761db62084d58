// Charts of the analytics pages (Chart.js through react-chartjs-2). Every chart is a figure
// with a heading, a canvas that screen readers read as one image with a summary, and the
// same numbers as a table under "Show the numbers".

import {
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  type ChartOptions,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Bar, Line } from "react-chartjs-2";

import type { Series } from "./shape";

ChartJS.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Tooltip, Legend);
ChartJS.defaults.color = "#1c2230";
ChartJS.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", sans-serif';

// At least 3:1 against white (WCAG non-text contrast); shapes differ too, for colour blindness.
export const PALETTE = ["#2c4a8c", "#b0501a", "#1b6b36", "#7a3b8f", "#a3221b", "#0f6f7a", "#6b5a00", "#4f5868"];
const POINTS = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "rectRounded", "cross"] as const;

function colour(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

function reducedMotion(): boolean {
  return typeof window !== "undefined" && window.matchMedia?.("(prefers-reduced-motion: reduce)").matches === true;
}

export type Format = (value: number) => string;

interface ChartProps {
  title: string;
  /** One sentence for screen readers: what the chart shows and its main point. */
  summary: string;
  labels: string[];
  series: Series[];
  format: Format;
  /** The first column's heading in the table (what a label is: Week, Speaker). */
  labelHeading: string;
  description?: string;
}

interface BarProps extends ChartProps {
  horizontal?: boolean;
  stacked?: boolean;
  max?: number;
  /** Counts: ticks at whole numbers only. */
  whole?: boolean;
}

function tooltipLabel(format: Format) {
  return (item: { dataset: { label?: string }; parsed: { x: number | null; y: number | null } }, horizontal = false) => {
    const value = horizontal ? item.parsed.x : item.parsed.y;
    return `${item.dataset.label ?? ""}: ${value === null ? "–" : format(value)}`;
  };
}

export function BarChart({ horizontal = false, stacked = false, max, whole = false, ...props }: BarProps) {
  const label = tooltipLabel(props.format);
  const valueAxis = {
    beginAtZero: true,
    stacked,
    max,
    ticks: { precision: whole ? 0 : undefined, callback: (value: string | number) => props.format(Number(value)) },
  };
  const options: ChartOptions<"bar"> = {
    indexAxis: horizontal ? "y" : "x",
    responsive: true,
    maintainAspectRatio: false,
    animation: reducedMotion() ? false : { duration: 300 },
    plugins: {
      legend: { display: props.series.length > 1, position: "bottom" },
      tooltip: { callbacks: { label: (item) => label(item, horizontal) } },
    },
    scales: horizontal ? { x: valueAxis, y: { stacked } } : { y: valueAxis, x: { stacked } },
  };
  const data = {
    labels: props.labels,
    datasets: props.series.map((s, i) => ({
      label: s.name,
      data: s.values,
      backgroundColor: colour(i),
      borderColor: colour(i),
      maxBarThickness: 36,
    })),
  };
  const height = horizontal ? Math.max(140, 48 + props.labels.length * 34 * Math.max(1, stacked ? 1 : props.series.length)) : 260;
  return (
    <ChartFigure {...props} height={height}>
      <Bar options={options} data={data} role="img" aria-label={`${props.title}. ${props.summary}`} />
    </ChartFigure>
  );
}

export function LineChart({ max, ...props }: ChartProps & { max?: number }) {
  const label = tooltipLabel(props.format);
  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: reducedMotion() ? false : { duration: 300 },
    spanGaps: false,
    plugins: {
      legend: { display: true, position: "bottom", labels: { usePointStyle: true } },
      tooltip: { callbacks: { label: (item) => label(item) } },
    },
    scales: {
      y: { beginAtZero: true, max, ticks: { callback: (value) => props.format(Number(value)) } },
    },
  };
  const data = {
    labels: props.labels,
    datasets: props.series.map((s, i) => ({
      label: s.name,
      data: s.values,
      borderColor: colour(i),
      backgroundColor: colour(i),
      pointStyle: POINTS[i % POINTS.length],
      pointRadius: 4,
      borderWidth: 2,
      tension: 0.2,
    })),
  };
  return (
    <ChartFigure {...props} height={280}>
      <Line options={options} data={data} role="img" aria-label={`${props.title}. ${props.summary}`} />
    </ChartFigure>
  );
}

function ChartFigure({ title, description, labels, series, format, labelHeading, height, children }: ChartProps & { height: number; children: React.ReactNode }) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
        {description && <p className="meta">{description}</p>}
      </figcaption>
      <div className="chart-canvas" style={{ height }}>
        {children}
      </div>
      <details className="chart-numbers">
        <summary>{t("charts.showNumbers")}</summary>
        <DataTable caption={title} labelHeading={labelHeading} labels={labels} series={series} format={format} />
      </details>
    </figure>
  );
}

export function DataTable({
  caption,
  labelHeading,
  labels,
  series,
  format,
}: {
  caption: string;
  labelHeading: string;
  labels: string[];
  series: Series[];
  format: Format;
}) {
  const { t } = useTranslation();
  return (
    <div className="table-scroll" role="region" aria-label={t("charts.table", { caption })} tabIndex={0}>
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{labelHeading}</th>
            {series.map((s) => (
              <th scope="col" key={s.name}>
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, row) => (
            <tr key={`${label}-${row}`}>
              <th scope="row">{label}</th>
              {series.map((s) => {
                const value = s.values[row];
                return <td key={s.name}>{value === null || value === undefined ? "–" : format(value)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
