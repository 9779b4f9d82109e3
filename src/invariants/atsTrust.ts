import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, inGroup } from './facts.ts';
import { atsTranslatedRequest, hopsText } from '../machines/atsActors.ts';
import { pageText } from '../machines/pages.ts';
import { groupOf } from '../machines/state.ts';
import { translationOf } from '../machines/translation.ts';

/**
 * ATS-TRUST: a translated request (Address Type "translated": no IOMMU walk) is accepted at the
 * IOMMU, or delivered to a peer's BAR, only from a device the kernel trusts with ATS: ATS enabled
 * and not untrusted. State half: no untrusted device has ATS enabled (pci_ats_supported refuses
 * it). Step half: judged on the translated request (ats_translated_request) with its route, so a
 * port without ACS Translation Blocking that lets a malicious device's request reach a peer shows.
 */
export const atsTrust = defineInvariant({
  id: 'ATS-TRUST',
  name: 'TranslatedRequestsTrusted',
  description:
    'A translated request is accepted at the IOMMU or delivered to a peer only from a device with ATS enabled that is not untrusted; no untrusted device has ATS enabled.',
  kernelRef:
    'pci_ats_supported (drivers/pci/ats.c: `if (dev->untrusted) return false`), pci_enable_ats; pci_std_enable_acs (drivers/pci/pci.c: ACS TB on external-facing and untrusted ports)',
  notJudged: (scenario) => (scenario.devices.some((d) => d.dma && d.ats) ? null : 'no DMA actor has an ATS capability (`ats: true` with `dma:`)'),
  // The ATS state lives in the groups (global part): one global part, no per-device part.
  scan: firstReason({
    first(s, scenario) {
      for (let g = 0; g < s.groups.length; g++) {
        const dev = translationOf(s, g)?.ats?.enabled.find((d) => scenario.devices[d]?.untrusted === true);
        if (dev !== undefined) return `untrusted ${devName(scenario, dev)} has ATS enabled${inGroup(scenario, g)}: the IOMMU will accept its translated requests to any address without a walk`;
      }
      return null;
    },
  }),
  step(prev, event, _next, scenario) {
    if (event.type !== 'ats_translated_request') return null;
    const dev = event.dev;
    const g = groupOf(scenario, dev);
    const trusted = scenario.devices[dev]?.untrusted !== true && (translationOf(prev, g)?.ats?.enabled.includes(dev) ?? false);
    if (trusted) return null;
    const o = atsTranslatedRequest(scenario, prev, g, dev, event);
    const who = `${scenario.devices[dev]?.untrusted ? 'untrusted ' : ''}${devName(scenario, dev)}${translationOf(prev, g)?.ats?.enabled.includes(dev) ? '' : ' (ATS not enabled)'}`;
    const route = o.hops.length ? ` (route: ${hopsText(o.hops)})` : '';
    if (o.kind === 'peer') return `${who}'s translated request reaches ${o.peer}'s BAR peer-to-peer${route}: no port on the way blocks translated requests (ACS TB)`;
    if (o.kind === 'page') return `${who}'s translated request to physical page ${o.phys}, now ${pageText(o.page)}, is accepted by the IOMMU without a walk${route}`;
    return null;
  },
});
