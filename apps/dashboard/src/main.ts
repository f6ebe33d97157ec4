// The dashboard page: filters (machine, suite, backend, threads) over the results baked in at
// build time, and per suite the throughput charts, our ratio to each peer and the history.
import type { Chart } from 'chart.js';
import files from 'virtual:benchmark-results';
import { drawChart } from './charts.js';
import type { CaseResult } from './results.js';
import {
  filesOn, historyChart, implNames, latestRun, machineKey, machineKeys, phaseOf, ratioChart, shown, suiteNames, threadCounts,
  throughputCharts, type ChartData, type Filters,
} from './views.js';

const element = <T extends HTMLElement>(id: string) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`dashboard: element #${id} is missing from index.html`);
  return found as T;
};

const machineSelect = element<HTMLSelectElement>('filter-machine');
const suiteSelect = element<HTMLSelectElement>('filter-suite');
const implBox = element<HTMLFieldSetElement>('filter-impls');
const threadBox = element<HTMLFieldSetElement>('filter-threads');
const suitesMain = element<HTMLElement>('suites');
const tableBody = element<HTMLTableElement>('cases-table').tBodies[0]!;
const charts: Chart[] = [];
/** The case whose history is shown, per suite. */
const historyCase = new Map<string, string>();

function option(select: HTMLSelectElement, value: string, text: string): void {
  const entry = document.createElement('option');
  entry.value = value;
  entry.textContent = text;
  select.append(entry);
}

function checkbox(box: HTMLFieldSetElement, name: string, value: string, text: string): void {
  const label = document.createElement('label');
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.name = name;
  input.value = value;
  input.checked = true;
  label.append(input, ` ${text}`);
  box.append(label);
}

function checked(box: HTMLFieldSetElement): string[] {
  return [...box.querySelectorAll<HTMLInputElement>('input:checked')].map((input) => input.value);
}

function filters(): Filters {
  return {
    machine: machineSelect.value,
    suite: suiteSelect.value,
    impls: new Set(checked(implBox)),
    threads: new Set(checked(threadBox).map(Number)),
  };
}

function figure(parent: HTMLElement, data: ChartData, kind: 'bar' | 'ratio' | 'line', extra?: HTMLElement): void {
  const box = document.createElement('figure');
  box.className = 'chart';
  box.dataset.chart = data.id;
  box.dataset.series = String(data.series.length);
  box.dataset.labels = data.labels.join('|');
  const caption = document.createElement('figcaption');
  const title = document.createElement('span');
  title.textContent = data.title;
  caption.append(title);
  if (extra) caption.append(extra);
  const canvasBox = document.createElement('div');
  canvasBox.className = 'canvas-box';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', data.title);
  canvasBox.append(canvas);
  box.append(caption, canvasBox);
  parent.append(box);
  charts.push(drawChart(canvas, data, kind));
}

function note(parent: HTMLElement, id: string, text: string): void {
  const paragraph = document.createElement('p');
  paragraph.className = 'note';
  paragraph.id = id;
  paragraph.textContent = text;
  parent.append(paragraph);
}

function renderSuite(suite: string, current: Filters): CaseResult[] {
  const run = latestRun(files, current, suite);
  if (!run) return [];
  const section = document.createElement('section');
  section.className = 'suite';
  section.dataset.suite = suite;
  const heading = document.createElement('h2');
  const headings: Record<string, string> = {
    model: 'model: prefill and decode throughput',
    quant: 'quant: GEMV/GEMM per weight dtype (x axis: float32, bfloat16, int8, int4), memory bandwidth, decode per mode',
  };
  heading.textContent = headings[suite] ?? `${suite} suite`;
  const info = document.createElement('p');
  info.className = 'run-info';
  const { machine } = run.file;
  info.textContent = `Newest run: ${run.file.file} · ${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}`;
  const grid = document.createElement('div');
  grid.className = 'charts';
  section.append(heading, info, grid);
  suitesMain.append(section);

  const throughput = throughputCharts(suite, run.cases, current, suite === 'model' ? phaseOf : undefined);
  for (const data of throughput) figure(grid, data, 'bar');
  const ratio = ratioChart(suite, run.cases, current);
  if (ratio) figure(grid, ratio, 'ratio');

  const names = [...new Set(filesOn(files, current.machine).flatMap((file) => file.cases.filter((entry) => entry.suite === suite).map((entry) => entry.name)))];
  if (!names.includes(historyCase.get(suite) ?? '')) historyCase.set(suite, names[0]!);
  const select = document.createElement('select');
  select.className = 'history-case';
  select.setAttribute('aria-label', `${suite} case shown in the history`);
  for (const name of names) option(select, name, name);
  select.value = historyCase.get(suite)!;
  select.addEventListener('change', () => {
    historyCase.set(suite, select.value);
    render();
  });
  const history = historyChart(files, current, suite, historyCase.get(suite)!);
  if (history) figure(grid, history, 'line', select);
  if (throughput.length === 0 && !ratio && !history) note(section, `empty-${suite}`, 'Nothing to show: every backend or thread count of this suite is filtered out.');
  return run.cases.filter((entry) => shown(entry, current));
}

function renderTable(rows: { entry: CaseResult; file: string }[]): void {
  tableBody.replaceChildren();
  const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4));
  for (const { entry, file } of rows) {
    const row = tableBody.insertRow();
    const cells: [string, boolean][] = [
      [entry.suite, false], [entry.name, false], [entry.impl, false], [String(entry.threads), true], [entry.group ?? '', false],
      [`${entry.metric} (${entry.unit})`, false], [format(entry.median), true], [format(entry.min), true], [format(entry.max), true],
      [String(entry.samples), true], [file, false],
    ];
    for (const [text, numeric] of cells) {
      const cell = row.insertCell();
      cell.textContent = text;
      if (numeric) cell.className = 'number';
    }
  }
}

function render(): void {
  for (const chart of charts.splice(0)) chart.destroy();
  suitesMain.replaceChildren();
  const current = filters();
  const visibleSuites = current.suite ? [current.suite] : suiteNames(filesOn(files, current.machine));
  const rows: { entry: CaseResult; file: string }[] = [];
  for (const suite of visibleSuites) {
    const cases = renderSuite(suite, current);
    const file = latestRun(files, current, suite)?.file.file ?? '';
    rows.push(...cases.map((entry) => ({ entry, file })));
  }
  const hasModel = filesOn(files, current.machine).some((file) => file.cases.some((entry) => entry.suite === 'model'));
  if (!hasModel && (!current.suite || current.suite === 'model'))
    note(suitesMain, 'model-missing', 'No results of the model suite yet: its prefill and decode throughput appear here once benchmarks/results has a model-<date>.json (npm run bench -- model).');
  renderTable(rows);
  document.body.dataset.charts = String(charts.length);
  document.body.dataset.rows = String(rows.length);
}

function setUp(): void {
  const summary = element<HTMLParagraphElement>('summary');
  if (files.length === 0) {
    summary.textContent = 'No benchmark results yet: run `npm run bench -- matmul` to write benchmarks/results/matmul-<date>.json, then rebuild.';
    element<HTMLFormElement>('filters').hidden = true;
    document.body.dataset.ready = 'true';
    return;
  }
  const caseCount = files.reduce((sum, file) => sum + file.cases.length, 0);
  const machines = machineKeys(files);
  summary.textContent = `${files.length} results file${files.length === 1 ? '' : 's'}, ${caseCount} measurements, ${machines.length} machine${machines.length === 1 ? '' : 's'}, suites: ${suiteNames(files).join(', ')}.`;
  // The machine of the newest file is shown first; '' shows every machine together.
  for (const key of machines) option(machineSelect, key, key);
  option(machineSelect, '', 'every machine');
  machineSelect.value = machineKey(filesOn(files, '').at(-1)!.machine);
  option(suiteSelect, '', 'every suite');
  for (const suite of suiteNames(files)) option(suiteSelect, suite, suite);
  for (const impl of implNames(files)) checkbox(implBox, 'impl', impl, impl);
  for (const threads of threadCounts(files)) checkbox(threadBox, 'threads', String(threads), `×${threads}`);
  element<HTMLFormElement>('filters').addEventListener('change', (event) => {
    if ((event.target as HTMLElement).classList.contains('history-case')) return;
    render();
  });
  render();
  document.body.dataset.ready = 'true';
}

setUp();
