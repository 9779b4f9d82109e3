/**
 * Whether the text given as `lspci -vvv` output has the shape of it, after parseLspci.ts has read
 * its device blocks: a dump of which no detail line could be read (indentation lost, a plain
 * `lspci` listing) is refused rather than analysed as a machine without capabilities, and
 * device blocks that look cut short (a truncated or trimmed dump) are named in a warning.
 */
import type { OtherLines, Raw } from './lspciRaw.ts';

/** What the shape check says: refuse the text (one located reason), or go on with these warnings. */
export type LspciShape = { readonly refuse: { readonly expected: string; readonly got: string } } | { readonly warnings: readonly string[] };

/** Why a device block looks cut short, or null. */
function cutReason(r: Raw): string | null {
  if (r.statusCap === true && !r.capsVisible && !r.capsDenied && !r.capsOther) return 'Status: Cap+ but no Capabilities: line';
  if (r.bridgeHeader && r.secondary === undefined) return 'a PCI bridge without its Bus: line';
  if (r.acsListed && r.acsCap === undefined) return 'an Access Control Services capability without its ACSCap: line (lspci -v? its ACS is read as absent)';
  return null;
}

/**
 * Checks the shape of a parsed dump: `raws` its device blocks (at least one), `otherLines` the
 * lines at device-line indentation that are neither device lines nor comments.
 * Refused: no device has a single detail line read (EETLPPrefix fragments do not count).
 */
export function checkLspciShape(text: string, raws: readonly Raw[], otherLines: OtherLines): LspciShape {
  if (raws.every((r) => r.read === 0)) {
    const details = raws.reduce((n, r) => n + r.details, 0);
    if (details === 0 && otherLines.count === 0) {
      return { refuse: { expected: 'lspci -vvv output (run `lspci -vvv`, as root for ACS, or `lspci -nnvvv`): a plain `lspci` listing has no capability lines', got: `${raws.length} device line(s) and nothing below them` } };
    }
    return { refuse: { expected: 'lspci -vvv output with its indentation intact (detail lines indented below each device line)', got: 'no capability lines parsed: is this `lspci -vvv` output with its indentation intact?' } };
  }
  const warnings: string[] = [];
  if (otherLines.first) {
    const { line, text: first } = otherLines.first;
    const shown = first.length > 40 ? `${first.slice(0, 37)}...` : first;
    warnings.push(`${otherLines.count} line(s) are neither device lines nor indented below one, and were not read (line ${line}: ${JSON.stringify(shown)}): lines cut short, or indentation lost?`);
  }
  const cut = raws.flatMap((r) => {
    const why = cutReason(r);
    return why ? [`${r.bdf} (line ${r.line}: ${why})`] : [];
  });
  if (cut.length > 0) {
    const more = cut.length > 8 ? `, and ${cut.length - 8} more` : '';
    warnings.push(`${cut.length} device block(s) look cut short (a truncated or trimmed dump?): ${cut.slice(0, 8).join(', ')}${more}`);
  }
  if (!/\n\s*$/.test(text)) {
    const last = raws[raws.length - 1]!;
    warnings.push(`the text ends without a line end, inside the block of ${last.bdf} (line ${last.line}): the dump may be cut short`);
  }
  return { warnings };
}
