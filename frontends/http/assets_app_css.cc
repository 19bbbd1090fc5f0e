// /assets/app.css: the stylesheet of every page. Plain CSS, no framework; colours of the
// four update strategies are shared by the chart bars and the legend swatches.
#include "assets.h"

namespace pcfdemo::web {

const char kAppCss[] = R"css(
:root {
  --ink: #1d2733; --muted: #5b6775; --line: #d8dee6; --panel: #f5f7fa; --brand: #1f5f8b;
  --ok: #2e7d32; --bad: #c62828; --warn: #b26a00;
  --rmw: #d9534f; --atomic: #2e86c1; --rowlock: #8e44ad; --optimistic: #27ae60;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
header { display: flex; align-items: center; gap: 1.5em; padding: .6em 1.5em;
  background: var(--brand); color: #fff; flex-wrap: wrap; }
header .brand { font-weight: 700; font-size: 1.15em; letter-spacing: .02em; }
header nav { display: flex; gap: .25em; flex-wrap: wrap; }
header nav a { color: #dce9f3; text-decoration: none; padding: .3em .7em; border-radius: 4px; }
header nav a:hover { background: rgba(255,255,255,.12); color: #fff; }
header nav a[aria-current="page"] { background: #fff; color: var(--brand); font-weight: 600; }
header .instance { margin-left: auto; font-size: .85em; opacity: .85; }
main { max-width: 1240px; margin: 0 auto; padding: 1em 1.5em 2em; }
h1 { font-size: 1.6em; margin: .4em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .5em; }
footer { color: var(--muted); font-size: .85em; text-align: center; padding: 1em;
  border-top: 1px solid var(--line); }
a { color: var(--brand); }
code { font: .9em/1.3 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid var(--line); padding: .35em .7em; text-align: left;
  vertical-align: top; }
th { font-weight: 600; }
thead th, tr:first-child > th { background: var(--panel); }
table.facts th[scope="row"] { background: none; color: var(--muted); font-weight: 500;
  white-space: nowrap; }
table.environment { width: 100%; }
table.environment th { width: 16em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.runs { font-size: .93em; }
table.runs td { white-space: nowrap; }
table.runs td.instances { white-space: normal; }
td.lost.some { color: var(--bad); font-weight: 600; }
td.instances { font-size: .85em; color: var(--muted); }
tr.selected td { background: #fff8e1; }
.table-scroll { overflow-x: auto; }
.pager { color: var(--muted); }
.pager a { margin: 0 .5em; }
.hint { color: var(--muted); font-size: .9em; max-width: 60em; }
.notice { padding: .7em 1em; border-radius: 5px; border-left: 5px solid; max-width: 60em; }
.notice.info { background: #eaf2fb; border-color: var(--brand); }
.notice.success { background: #e8f5e9; border-color: var(--ok); }
.notice.error { background: #fdecea; border-color: var(--bad); }
.badge { display: inline-block; padding: .1em .6em; border-radius: 999px; font-weight: 600;
  font-size: .9em; }
.badge.ok, .badge.on { background: #e8f5e9; color: var(--ok); }
.badge.bad { background: #fdecea; color: var(--bad); }
.badge.off { background: var(--panel); color: var(--muted); }
.reason { color: var(--muted); font-size: .85em; }
.forms { display: flex; gap: 1.5em; flex-wrap: wrap; align-items: flex-start; }
form.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: 1em 1.2em; display: grid; gap: .35em; max-width: 32em; margin-top: 1em; }
form.panel label { font-weight: 600; margin-top: .4em; }
form.panel label.check { font-weight: 400; }
input, select { font: inherit; padding: .35em .5em; border: 1px solid #b9c2cc;
  border-radius: 4px; background: #fff; }
input[type="url"] { min-width: 26em; }
button { font: inherit; font-weight: 600; margin-top: .8em; padding: .5em 1.1em; border: 0;
  border-radius: 4px; background: var(--brand); color: #fff; cursor: pointer;
  justify-self: start; }
button.secondary { background: #607080; }
button.danger { background: var(--bad); }
.current-run { border: 1px solid var(--line); border-radius: 6px; padding: .2em 1.2em .8em;
  background: var(--panel); max-width: 60em; }
.current-run[data-state="finished"] { border-color: var(--ok); }
.current-run[data-state="abandoned"] { border-color: var(--warn); }
.progress-line { display: flex; align-items: center; gap: 1em; }
progress { width: 28em; max-width: 100%; height: 1.1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 1.5em; }
svg.chart { width: 100%; max-width: 640px; height: auto; background: #fff; }
svg.chart .axis { stroke: #8a96a3; stroke-width: 1; }
svg.chart .label { font-size: 11px; fill: var(--muted); }
svg.chart .bar { fill: var(--brand); }
.s-read-modify-write { fill: var(--rmw); background: var(--rmw); }
.s-atomic { fill: var(--atomic); background: var(--atomic); }
.s-row-lock { fill: var(--rowlock); background: var(--rowlock); }
.s-optimistic { fill: var(--optimistic); background: var(--optimistic); }
svg.chart .bar.s-read-modify-write { fill: var(--rmw); }
svg.chart .bar.s-atomic { fill: var(--atomic); }
svg.chart .bar.s-row-lock { fill: var(--rowlock); }
svg.chart .bar.s-optimistic { fill: var(--optimistic); }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px;
  margin-right: .45em; vertical-align: -1px; }
table.legend { margin-top: .6em; }
)css";

}  // namespace pcfdemo::web
