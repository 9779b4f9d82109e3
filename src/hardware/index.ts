/**
 * The hardware model's public surface: topology types and loaders, ACS helpers,
 * DMA aliases, group derivation, routing, IOMMU translation, the PASID gate, and
 * the joins the ownership side uses (peerReach, checkGroupingSoundness).
 * Plain data and pure functions; no XState.
 */
export * from './types.ts';
export { parseBdf, formatBdf, findDevice, getDevice, kernelAddOrder, bridgesToRoot, hex, KIND_LABEL, isVirtfn, pciPhysfn, sameSriovDevice } from './pciTree.ts';
export type { AcsPolicy } from './acs.ts';
export { KERNEL_ACS_POLICY, pciAcsFlagsEnabled, pciAcsEnabled, pciAcsPathEnabled, acsBitActive, effectiveAcsRegs, formatAcsMask } from './acs.ts';
export { ACS_QUIRKS, ACS_QUIRK_CALLBACK_IDS, pciDevSpecificAcsEnabled } from './acsQuirks.ts';
export type { DmaAlias } from './dmaAlias.ts';
export { pciForEachDmaAlias, pciDevsAreDmaAliases, requesterIdAtRoot, DMA_ALIAS_QUIRKS } from './dmaAlias.ts';
export type { DerivedGroup, Grouping } from './deriveGroups.ts';
export { deriveGroups, deriveGroupsWithAcsOverride } from './deriveGroups.ts';
export type { MemoryRequest, Hop, HopAction, RouteOutcome, RouteResult } from './routeMemoryRequest.ts';
export { routeMemoryRequest } from './routeMemoryRequest.ts';
export type { DomainType, IommuDomain, IotlbEntry, IommuState, IommuRequest, Translation, TranslationSource } from './translate.ts';
export { PAGE_SIZE, createIommuState, addDomain, setRidDomain, setPasidDomain, setPageOwner, enableAts, iommuMap, iommuUnmap, iommuFlush, translate } from './translate.ts';
export type { DmaResult } from './dmaAccess.ts';
export { dmaAccess } from './dmaAccess.ts';
export { pciEnablePasid } from './pciEnablePasid.ts';
export type { PeerProbe, PeerReach, ReachCell, ReachSummary } from './reachability.ts';
export { peerReach, reachabilityMatrix, reachabilitySummary, checkGroupingSoundness } from './reachability.ts';
export type { TopologySpec, FunctionSpec, PortSpec } from './topologySpec.ts';
export { topologySpecSchema } from './topologySpec.ts';
export type { SpecProblem } from './buildTopology.ts';
export { buildTopology } from './buildTopology.ts';
export type { TopologyError, ParseTopologyResult } from './parseTopology.ts';
export { parseTopology, formatPath } from './parseTopology.ts';
export type { IdRecovered, LspciParse, RecordedGroup } from './parseLspci.ts';
export { lspciDeviceLine, parseLspci } from './parseLspci.ts';
export type { GroupingComparison } from './compareGroupings.ts';
export { compareGroupings, mismatchedDevices, recordedIdsOfGroups } from './compareGroupings.ts';
export type { IdFromName, IdFromNameHow } from './pciIdFromName.ts';
export { PCI_ID_NAMES_VERSION, deviceNameText, pciIdFromName } from './pciIdFromName.ts';
export type { AcsInference } from './inferAcs.ts';
export { EXHAUSTIVE_MAX, acsCandidates, inferAcs } from './inferAcs.ts';
export { builtinTopologies, BUILTIN_TOPOLOGY_NAMES, BUILTIN_TOPOLOGY_SPECS, getBuiltinTopology } from './builtinTopologies.ts';
export type { IotlbAction, IotlbWindowOptions, IotlbWindowResult } from './iotlbWindow.ts';
export { IOTLB_ACTIONS, findUnmapWindow, runIotlbSequence } from './iotlbWindow.ts';
export * from './requesterIds.ts';
export * from './switchGroups.ts';
export * from './groupingRules.ts';
