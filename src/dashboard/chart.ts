/**
 * The live price chart (TradingView lightweight-charts): one area series showing the selected
 * symbol. Points come from the quotes stream; the dashboard keeps a short history per watched
 * symbol, so switching symbols shows what arrived since the page opened. One point per second
 * (the latest price of that second), in local time.
 */
import { AreaSeries, ColorType, createChart, CrosshairMode, LineStyle, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { decimalsOf } from './format.js';

const MAX_POINTS = 3600;
/** Until a symbol has this many points, the chart stretches them over its whole width. */
const FIT_BELOW = 120;

interface Point {
  time: UTCTimestamp;
  value: number;
}

/** Epoch ms → seconds on the chart's axis, shifted so that the axis reads local time. */
function chartTime(ms: number): UTCTimestamp {
  return Math.floor((ms - new Date(ms).getTimezoneOffset() * 60_000) / 1000) as UTCTimestamp;
}

export class PriceChart {
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Area'>;
  private readonly history = new Map<string, Point[]>();
  private shown: string | null = null;

  constructor(container: HTMLElement) {
    const css = getComputedStyle(document.documentElement);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const grid = color('--grid', '#1a212b');
    this.chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: color('--muted', '#8b96a5'),
        fontFamily: getComputedStyle(document.body).fontFamily,
        fontSize: 11,
      },
      grid: { vertLines: { color: grid }, horzLines: { color: grid } },
      rightPriceScale: { borderColor: grid, scaleMargins: { top: 0.15, bottom: 0.1 } },
      timeScale: { borderColor: grid, timeVisible: true, secondsVisible: true, rightOffset: 4 },
      crosshair: { mode: CrosshairMode.Magnet, vertLine: { style: LineStyle.Dotted }, horzLine: { style: LineStyle.Dotted } },
    });
    const accent = color('--accent', '#4c8dff');
    this.series = this.chart.addSeries(AreaSeries, {
      lineColor: accent,
      topColor: 'rgba(76, 141, 255, 0.35)',
      bottomColor: 'rgba(76, 141, 255, 0.02)',
      lineWidth: 2,
      priceLineStyle: LineStyle.Dashed,
    });
  }

  /** Records a price of `symbol` at `timeMs`; draws it when the symbol is shown. */
  add(symbol: string, price: string, timeMs: number): void {
    const value = Number(price);
    if (!Number.isFinite(value)) return;
    let points = this.history.get(symbol);
    if (!points) this.history.set(symbol, (points = []));
    const last = points[points.length - 1];
    // the axis needs ascending times: a late or same-second update replaces the last point's value
    const time = last && chartTime(timeMs) <= last.time ? last.time : chartTime(timeMs);
    const point = { time, value };
    if (last && last.time === time) points[points.length - 1] = point;
    else points.push(point);
    if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
    if (symbol !== this.shown) return;
    this.series.update(point);
    if (points.length < FIT_BELOW) this.chart.timeScale().fitContent();
  }

  show(symbol: string | null, tickSize?: string): void {
    this.shown = symbol;
    const decimals = decimalsOf(tickSize);
    this.series.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: tickSize ? Number(tickSize) : 0.01 } });
    const points = symbol ? (this.history.get(symbol) ?? []) : [];
    this.series.setData([...points]);
    if (points.length < FIT_BELOW) this.chart.timeScale().fitContent();
    else this.chart.timeScale().scrollToRealTime();
  }

  forget(symbol: string): void {
    this.history.delete(symbol);
  }

  /** Points drawn for the shown symbol (tests read it through window.__dashboard). */
  get pointCount(): number {
    return this.series.data().length;
  }
}
