/**
 * A stacked-area chart as a self-contained SVG (no fonts or scripts from elsewhere): shares of the
 * offered requests served home, by the other cloud and failed, over load or over time, with
 * optional lines (pods per cluster) on a second axis.
 */

interface Layer {
  name: string;
  color: string;
  /** One value per x, between 0 and 1. */
  values: number[];
}

interface Line {
  name: string;
  color: string;
  values: number[];
}

interface Chart {
  title: string;
  xLabel: string;
  x: number[];
  /** Stacked bottom to top; together at most 1. */
  layers: Layer[];
  /** Drawn over the areas against the right axis. */
  lines?: Line[];
  linesLabel?: string;
}

/** Colours that read in print and for the common colour-vision deficiencies. */
export const palette = { home: "#2b6cb0", remote: "#dd8a1a", failed: "#c53030", homePods: "#1a365d", standbyPods: "#7b4a00" } as const;

const width = 760;
const height = 400;
const margin = { left: 60, right: 60, top: 40, bottom: 90 };

export function stackedAreaSvg(chart: Chart): string {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const xMin = Math.min(...chart.x);
  const xMax = Math.max(...chart.x);
  const xAt = (value: number) => margin.left + (xMax === xMin ? 0 : ((value - xMin) / (xMax - xMin)) * plotWidth);
  const yAt = (share: number) => margin.top + (1 - share) * plotHeight;
  const lineMax = Math.max(1, ...(chart.lines ?? []).flatMap((line) => line.values));
  const lineYAt = (value: number) => margin.top + (1 - value / lineMax) * plotHeight;

  const parts: string[] = [];
  const below = chart.x.map(() => 0);
  for (const layer of chart.layers) {
    const top = below.map((base, index) => base + Math.max(0, layer.values[index] ?? 0));
    const upper = chart.x.map((x, index) => `${fmt(xAt(x))},${fmt(yAt(Math.min(1, top[index]!)))}`);
    const lower = chart.x.map((x, index) => `${fmt(xAt(x))},${fmt(yAt(Math.min(1, below[index]!)))}`).reverse();
    parts.push(
      `<polygon points="${[...upper, ...lower].join(" ")}" fill="${layer.color}" fill-opacity="0.85"><title>${escape(layer.name)}</title></polygon>`,
    );
    top.forEach((value, index) => (below[index] = value));
  }
  for (const line of chart.lines ?? []) {
    const points = chart.x.map((x, index) => `${fmt(xAt(x))},${fmt(lineYAt(line.values[index] ?? 0))}`);
    parts.push(`<polyline points="${points.join(" ")}" fill="none" stroke="${line.color}" stroke-width="2" stroke-dasharray="6 3"/>`);
  }

  const axes: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = fmt(yAt(tick));
    axes.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}" stroke="#ccc" stroke-width="0.5"/>`);
    axes.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Math.round(tick * 100)}%</text>`);
  }
  for (const x of xTicks(xMin, xMax)) {
    axes.push(`<text x="${fmt(xAt(x))}" y="${height - margin.bottom + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  if (chart.lines?.length) {
    for (const tick of [0, 0.5, 1]) {
      axes.push(
        `<text x="${width - margin.right + 6}" y="${fmt(lineYAt(tick * lineMax))}" dominant-baseline="middle">${fmt(tick * lineMax)}</text>`,
      );
    }
    axes.push(
      `<text transform="translate(${width - 14},${margin.top + plotHeight / 2}) rotate(90)" text-anchor="middle">${escape(chart.linesLabel ?? "")}</text>`,
    );
  }
  axes.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - margin.bottom + 34}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
  );
  axes.push(
    `<text transform="translate(16,${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">share of offered requests</text>`,
  );

  const legendItems = [
    ...chart.layers.map((layer) => ({ name: layer.name, color: layer.color, dashed: false })),
    ...(chart.lines ?? []).map((line) => ({ name: line.name, color: line.color, dashed: true })),
  ];
  // Legend entries laid out left to right at their text's width (about 6.5 px a character), wrapping.
  let legendX = margin.left;
  let legendY = height - 30;
  const legend = legendItems.map((item) => {
    const itemWidth = 24 + item.name.length * 6.5 + 18;
    if (legendX + itemWidth > width - 10) {
      legendX = margin.left;
      legendY += 18;
    }
    const [x, y] = [legendX, legendY];
    legendX += itemWidth;
    const mark = item.dashed
      ? `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${item.color}" stroke-width="2" stroke-dasharray="6 3"/>`
      : `<rect x="${x}" y="${y - 10}" width="18" height="12" fill="${item.color}"/>`;
    return `${mark}<text x="${x + 24}" y="${y}">${escape(item.name)}</text>`;
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escape(chart.title)}</text>`,
    ...parts,
    ...axes,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    ...legend,
    `</svg>`,
    "",
  ].join("\n");
}

function xTicks(min: number, max: number): number[] {
  if (max === min) return [min];
  const step = niceStep((max - min) / 6);
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + 1e-9; tick += step) ticks.push(Number(tick.toFixed(6)));
  return ticks;
}

function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, "");
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
