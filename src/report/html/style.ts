/** The report page's stylesheet: system fonts, a compact table, verdict badges, monospace calls. */
export const STYLE = `
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }
header h1 { font-size: 22px; font-weight: 600; margin: 0 0 4px; }
header .sub { color: var(--muted); margin: 0 0 16px; }
h2 { font-size: 17px; font-weight: 600; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; font-weight: 600; margin: 16px 0 6px; }
h4 { font-size: 13px; font-weight: 600; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
h4 code { text-transform: none; letter-spacing: 0; font-size: 12px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; background: var(--soft); }
.card b { display: block; font-size: 20px; font-weight: 600; }
.card span { color: var(--muted); font-size: 12px; }
.card.bad b { color: var(--bad); } .card.ok b { color: var(--ok); } .card.warn b { color: var(--warn); }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin: 12px 0 8px; padding: 8px 12px; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; }
.filters label { font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
.filters select, .filters input, .filters button { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; background: #fff; color: var(--fg); }
.filters button { cursor: pointer; }
.filters .count { margin-left: auto; font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
table.results { font-size: 13px; }
table.results th { text-align: left; font-weight: 600; font-size: 12px; color: var(--muted); background: var(--soft); border-bottom: 1px solid var(--line); padding: 6px 8px; }
table.results td { padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
table.results th.num { text-align: right; }
table.results td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.results tr.job { cursor: pointer; }
table.results tr.job:hover td { background: #f3f6fa; }
table.results tr.job.open td { background: #eef4fc; }
table.results tr.job.mismatch td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
table.results tr.detail > td { background: #fbfcfd; padding: 8px 16px 20px 28px; border-bottom: 2px solid var(--line); }
.toggle { display: inline-block; width: 12px; color: var(--muted); transition: transform .1s; }
tr.open .toggle { transform: rotate(90deg); }
.badge { display: inline-block; font-size: 11.5px; font-weight: 600; line-height: 18px; padding: 0 7px; border-radius: 9px; white-space: nowrap; }
.badge.holds { color: var(--ok); background: var(--ok-bg); }
.badge.violated { color: var(--bad); background: var(--bad-bg); }
.badge.incomplete { color: var(--warn); background: var(--warn-bg); }
.match { font-weight: 700; margin-right: 4px; } .match.yes { color: var(--ok); } .match.no { color: var(--bad); } .match.cut { color: var(--warn); }
.chip { display: inline-block; font-family: var(--mono); font-size: 11.5px; padding: 0 5px; margin: 1px 2px 1px 0; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.chip.broken { border-color: #ffcecb; background: var(--bad-bg); }
.kind { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; margin-left: 4px; }
.violation { border: 1px solid var(--line); border-radius: 6px; margin: 12px 0; background: #fff; }
.violation > .vhead { padding: 8px 12px; border-bottom: 1px solid var(--line); background: var(--soft); border-radius: 6px 6px 0 0; }
.violation > .vbody { padding: 4px 12px 12px; }
.reason { border-left: 3px solid var(--bad); background: var(--bad-bg); padding: 6px 10px; margin: 8px 0; white-space: pre-wrap; }
.init { font-family: var(--mono); font-size: 12px; color: var(--muted); margin: 6px 0; }
ol.steps { list-style: none; margin: 0; padding: 0; counter-reset: none; }
ol.steps > li { display: grid; grid-template-columns: 28px 1fr; gap: 0 8px; padding: 6px 0; border-top: 1px solid #eaeef2; }
ol.steps > li:first-child { border-top: 0; }
.stepno { font-weight: 600; color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; }
.call { font-family: var(--mono); font-size: 12.5px; }
.actor { display: inline-block; min-width: 110px; color: #8250df; }
.ret { font-family: var(--mono); font-weight: 600; } .ret.ok { color: var(--ok); } .ret.err { color: var(--bad); }
ul.chain { list-style: none; margin: 2px 0 0; padding: 0; font-family: var(--mono); font-size: 12px; color: var(--muted); }
ul.chain li::before { content: "↳ "; color: #afb8c1; }
ul.chain .errno { color: var(--bad); }
table.changes { width: auto; margin: 4px 0 0; font-family: var(--mono); font-size: 12px; }
table.changes td { padding: 1px 10px 1px 0; border: 0; vertical-align: top; }
table.changes td.from { color: var(--bad); } table.changes td.to { color: var(--ok); }
table.changes td.arrow { color: #afb8c1; }
div.dma { margin: 4px 0 0; font-family: var(--mono); font-size: 12px; } div.dma.stale { color: var(--bad); }
.nochange { font-size: 12px; color: var(--muted); }
.diagram, .route .tree { max-width: min(1170px, calc(100vw - 120px)); }
.diagram { overflow-x: auto; border: 1px solid #eaeef2; border-radius: 6px; padding: 8px; margin: 8px 0; background: #fff; }
.diagram pre.mermaid:not([data-processed]) { font-family: var(--mono); font-size: 11px; color: var(--muted); margin: 0; }
.diagram svg { max-width: none !important; }
.route { border: 1px solid #eaeef2; border-radius: 6px; padding: 8px; margin: 8px 0; }
.route .tree { overflow-x: auto; }
.route .text { font-family: var(--mono); font-size: 12px; white-space: pre-wrap; margin: 4px 0; }
ol.hops { margin: 4px 0 0; padding-left: 22px; font-size: 12.5px; }
ol.hops code { margin-right: 6px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; margin: 4px 0 8px; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
dl.glossary dt { font-weight: 600; margin-top: 12px; scroll-margin-top: 16px; }
dl.glossary dd { margin: 2px 0 0 0; }
dl.glossary dd .ref { font-family: var(--mono); font-size: 12px; color: var(--muted); }
:target { background: #fff8c5; }
svg.topology .edge { fill: none; stroke: #afb8c1; stroke-width: 1.2; }
svg.topology .hop-line { fill: none; stroke: #cf222e; stroke-width: 2.4; }
svg.topology .node rect { fill: #fff; stroke: #8c959f; stroke-width: 1; }
svg.topology .node.on rect { fill: #fff8c5; stroke: #9a6700; stroke-width: 1.6; }
svg.topology .node.src rect { fill: #ddf4ff; stroke: #0969da; stroke-width: 2; }
svg.topology .node.dst rect { fill: #ffebe9; stroke: #cf222e; stroke-width: 2; }
svg.topology .node.rid rect { fill: #fff; stroke: #cf222e; stroke-width: 1.6; stroke-dasharray: 4 3; }
svg.topology .node text { text-anchor: middle; font-family: var(--mono); }
svg.topology .node .l1 { font-size: 12px; font-weight: 600; fill: var(--fg); }
svg.topology .node .l2 { font-size: 11px; fill: var(--muted); }
svg.topology .hop-n { fill: #cf222e; }
svg.topology .hop-t { fill: #fff; font: 700 10px sans-serif; text-anchor: middle; }
.outcomes { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 10px; margin-top: 6px; }
.outcome { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; background: #fff; }
.legend { font-size: 12px; color: var(--muted); margin: 2px 0 6px; display: flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.legend .sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; border: 1.5px solid; margin-left: 8px; }
.legend .sw:first-child { margin-left: 0; }
.legend .sw.src { background: #ddf4ff; border-color: #0969da; } .legend .sw.on { background: #fff8c5; border-color: #9a6700; }
.legend .sw.dst { background: #ffebe9; border-color: #cf222e; } .legend .sw.rid { background: #fff; border: 1.5px dashed #cf222e; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;
