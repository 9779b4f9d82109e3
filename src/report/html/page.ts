/** The page shell of the HTML report: head, stylesheet, the inlined scripts, one self-contained file. */
import { CLIENT_SCRIPT } from './clientScript.ts';
import { esc, inlineScript } from './escape.ts';
import { STYLE } from './style.ts';

export interface PageParts {
  /** The `<title>` and the heading (plain text, escaped here). */
  title: string;
  /** One line under the heading (plain text, escaped here). */
  subtitle: string;
  /** The page's sections, already HTML. */
  body: string;
  /** The footer line (plain text, escaped here). */
  footer: string;
}

/** Options every page builder takes. */
export interface HtmlOptions {
  /**
   * The browser bundle of Mermaid (`mermaid/dist/mermaid.min.js`), inlined so the diagrams
   * render offline; without it the page shows the diagrams' Mermaid source.
   */
  mermaidJs?: string;
}

/** The whole page: one HTML document with its CSS and scripts inline, no external resource. */
export function htmlPage(parts: PageParts, options: HtmlOptions = {}): string {
  const mermaid = options.mermaidJs ? `<script>${inlineScript(options.mermaidJs)}</script>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(parts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header><h1>${esc(parts.title)}</h1><p class="sub">${esc(parts.subtitle)}</p></header>
${parts.body}
<footer>${esc(parts.footer)}</footer>
</main>
${mermaid}<script>${inlineScript(CLIENT_SCRIPT)}</script>
</body>
</html>
`;
}
