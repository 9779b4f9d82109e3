/**
 * Escaping for the HTML report: every string that comes from a scenario, a variant or the model
 * goes through `esc` before it reaches the page, and inline scripts through `inlineScript`.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value, HTML-escaped (`<script>` prints as text, quotes cannot end an attribute). */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/**
 * JavaScript source made safe to sit inside `<script>...</script>`: a `<` that would start
 * `</script` or `<!--` becomes `\x3C`, which means `<` in the string, regular expression or
 * template literal it can only occur in.
 */
export const inlineScript = (js: string): string => js.replace(/<(?=\/script|!--)/gi, '\\x3C');

/** Space-separated tokens for a `data-` attribute: each token with its spaces made `_`, then escaped. */
export const tokens = (xs: readonly string[]): string => esc(xs.map((x) => x.replace(/\s+/g, '_')).join(' '));
