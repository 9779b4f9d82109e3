/**
 * The topology tree as an inline SVG with a DMA route drawn on it: the root complex (where the
 * IOMMU sits) at the top, each bridge's secondary bus below it, the route's hops numbered and
 * joined by arrows, and under the drawing the hops as a list with what each one did.
 */
import { KIND_LABEL, type Hop, type PciDevice, type Topology } from '../../hardware/index.ts';
import { esc } from './escape.ts';
import type { ViolationRoute } from './route.ts';

const W = 136;
const H = 40;
const GAP_X = 14;
const GAP_Y = 38;
const PAD = 16;
/** Above this many leaves, only the route's part of the tree is drawn. */
const MAX_LEAVES = 14;

const ROOT = 'iommu';

interface TreeNode {
  id: string;
  label: string;
  sub: string;
  title: string;
  children: TreeNode[];
  x: number;
  y: number;
}

const busOf = (bdf: string): number => parseInt(bdf.slice(0, 2), 16);
const short = (s: string, n = 19): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function deviceNode(d: PciDevice): TreeNode {
  const kind = KIND_LABEL[d.kind] ?? d.kind;
  return { id: d.bdf, label: d.bdf, sub: d.name !== d.bdf ? d.name : kind, title: `${d.bdf} ${d.name} (${kind})`, children: [], x: 0, y: 0 };
}

/** The tree: the root complex, then each device below the bridge whose secondary bus it is on. */
function buildTree(topology: Topology): { root: TreeNode; parent: Map<string, string> } {
  const nodes = new Map(topology.devices.map((d) => [d.bdf, deviceNode(d)]));
  const root: TreeNode = { id: ROOT, label: 'Root complex', sub: 'IOMMU', title: 'root complex: requests that reach it go to the IOMMU', children: [], x: 0, y: 0 };
  const bridgeOfBus = new Map<number, string>();
  for (const d of topology.devices) if (d.secondary !== undefined) bridgeOfBus.set(d.secondary, d.bdf);
  const parent = new Map<string, string>();
  for (const d of topology.devices) {
    const up = bridgeOfBus.get(busOf(d.bdf));
    const p = up !== undefined && up !== d.bdf ? up : ROOT;
    parent.set(d.bdf, p);
    (p === ROOT ? root : nodes.get(p)!).children.push(nodes.get(d.bdf)!);
  }
  return { root, parent };
}

const leaves = (n: TreeNode): number => (n.children.length ? n.children.reduce((a, c) => a + leaves(c), 0) : 1);

/** Keeps the route's nodes, their ancestors, and the children of each kept bridge; counts the rest. */
function prune(root: TreeNode, parent: Map<string, string>, onRoute: Set<string>): number {
  const keep = new Set<string>([ROOT]);
  for (const id of onRoute) for (let at: string | undefined = id; at !== undefined; at = parent.get(at)) keep.add(at);
  const all = (n: TreeNode): number => 1 + n.children.reduce((a, c) => a + all(c), 0);
  let hidden = 0;
  const walk = (n: TreeNode) => {
    const kept = n.children.filter((c) => keep.has(c.id) || (n.id !== ROOT && keep.has(n.id)));
    for (const c of n.children) if (!kept.includes(c)) hidden += all(c);
    n.children = kept;
    kept.forEach(walk);
  };
  walk(root);
  return hidden;
}

/** Leaves side by side, each parent centred over its children; returns the width in slots. */
function layout(root: TreeNode): { width: number; depth: number } {
  let slot = 0;
  let depth = 0;
  const place = (n: TreeNode, level: number) => {
    depth = Math.max(depth, level);
    n.y = PAD + level * (H + GAP_Y);
    if (!n.children.length) {
      n.x = PAD + slot++ * (W + GAP_X);
      return;
    }
    n.children.forEach((c) => place(c, level + 1));
    n.x = (n.children[0]!.x + n.children[n.children.length - 1]!.x) / 2;
  };
  place(root, 0);
  return { width: slot, depth };
}

const flat = (n: TreeNode): TreeNode[] => [n, ...n.children.flatMap(flat)];

/** Consecutive hops at distinct nodes: the places the write passes, in order. */
function routeStops(hops: readonly Hop[]): string[] {
  const stops: string[] = [];
  for (const h of hops) if (stops[stops.length - 1] !== h.at) stops.push(h.at);
  return stops;
}

function edgePath(a: TreeNode, b: TreeNode): string {
  const [top, bottom] = a.y < b.y ? [a, b] : [b, a];
  const mid = top.y + H + GAP_Y / 2;
  return `M${top.x + W / 2},${top.y + H} V${mid} H${bottom.x + W / 2} V${bottom.y}`;
}

/** The arrow from one stop to the next: along the tree edge, or an arc over the bus for peers. */
function routePath(a: TreeNode, b: TreeNode): string {
  if (a.y !== b.y) {
    const up = a.y > b.y;
    const mid = Math.min(a.y, b.y) + H + GAP_Y / 2;
    return `M${a.x + W / 2},${up ? a.y : a.y + H} V${mid} H${b.x + W / 2} V${up ? b.y + H : b.y}`;
  }
  const lift = a.x === b.x ? 0 : GAP_Y * 0.8;
  return `M${a.x + W / 2},${a.y} C${a.x + W / 2},${a.y - lift} ${b.x + W / 2},${b.y - lift} ${b.x + W / 2},${b.y}`;
}

function nodeSvg(n: TreeNode, role: string, step: number | null): string {
  const badge = step === null ? '' : `<circle class="hop-n" cx="${n.x + W - 2}" cy="${n.y + 2}" r="9"/><text class="hop-t" x="${n.x + W - 2}" y="${n.y + 6}">${step}</text>`;
  return `<g class="node ${role}"><title>${esc(n.title)}</title><rect x="${n.x}" y="${n.y}" width="${W}" height="${H}" rx="5"/><text class="l1" x="${n.x + W / 2}" y="${n.y + 17}">${esc(short(n.label))}</text><text class="l2" x="${n.x + W / 2}" y="${n.y + 32}">${esc(short(n.sub))}</text>${badge}</g>`;
}


/** The SVG of the route's topology with the route drawn on it; `id` makes its marker's id unique in the page. */
export function topologySvg(route: ViolationRoute, id: string): string {
  const { root, parent } = buildTree(route.topology);
  const stops = routeStops(route.hops);
  const hidden = leaves(root) > MAX_LEAVES ? prune(root, parent, new Set(stops)) : 0;
  const { width, depth } = layout(root);
  const nodes = new Map(flat(root).map((n) => [n.id, n]));
  const w = Math.max(1, width) * (W + GAP_X) - GAP_X + 2 * PAD;
  const h = (depth + 1) * (H + GAP_Y) - GAP_Y + 2 * PAD;
  const edges = flat(root).flatMap((n) => n.children.map((c) => `<path class="edge" d="${edgePath(n, c)}"/>`));
  const lines = stops.slice(1).flatMap((stop, i) => {
    const a = nodes.get(stops[i]!);
    const b = nodes.get(stop);
    return a && b ? [`<path class="hop-line" marker-end="url(#${id}-arrow)" d="${routePath(a, b)}"/>`] : [];
  });
  const stepOf = new Map<string, number>();
  stops.forEach((id, i) => stepOf.has(id) || stepOf.set(id, i + 1));
  const end = route.to ?? (route.outcome?.kind === 'iommu' ? ROOT : null);
  const roleOf = (id: string) => (id === route.from ? 'src' : id === end ? 'dst' : id === route.rid ? 'rid' : stepOf.has(id) ? 'on' : 'off');
  const body = [...nodes.values()].map((n) => nodeSvg(n, roleOf(n.id), stepOf.get(n.id) ?? null));
  const legend = `<div class="legend"><span class="sw src"></span>issues the write <span class="sw on"></span>passes <span class="sw dst"></span>${route.to ? 'lands on' : 'ends at'}${route.rid ? ' <span class="sw rid"></span>requester ID it carries' : ''} <span class="muted">· numbers: hop order</span></div>`;
  const note = hidden ? `<p class="muted">${hidden} function${hidden === 1 ? '' : 's'} off the route not drawn.</p>` : '';
  return `<div class="tree"><svg xmlns="http://www.w3.org/2000/svg" class="topology" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(`topology ${route.topology.name} with the DMA route`)}">
<defs><marker id="${id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#cf222e"/></marker></defs>
${edges.join('')}
${lines.join('')}
${body.join('\n')}
</svg></div>${legend}${note}`;
}

/** The route section of a violation: the drawing, the text report's route line, the hops listed. */
export function routeHtml(route: ViolationRoute, id: string): string {
  const hops = route.hops.map((hop) => `<li><code>${esc(hop.at)}</code><span class="muted">${esc(hop.action)}</span>: ${esc(hop.note)}</li>`).join('');
  return `<div class="route"><h4>DMA route on topology <code>${esc(route.topology.name)}</code></h4>
${topologySvg(route, id)}
<div class="text">${esc(route.text)}</div>
<ol class="hops">${hops}</ol></div>`;
}
