/**
 * Names of IOMMU domains in the model. A domain is a plain string so that states stay JSON.
 *
 * - `default`: the group's default_domain (DMA API);
 * - `blocking`: the group's blocking_domain (allocated by the first claim);
 * - `container:K`: the IOMMU domain of user context K's legacy VFIO container (type1);
 * - `hwpt:K.H`: hardware page table H of user context K's iommufd (its IOAS);
 * - `private:D`: the unmanaged domain the driver of device D allocated (iommu_attach_device/group);
 * - `sva`: the SVA domain of the scenario's one process address space (iommu_sva_bind_device).
 */
export type DomainName = string;

export const DEFAULT_DOMAIN = 'default';
export const BLOCKING_DOMAIN = 'blocking';

export const containerDomain = (ctx: number): DomainName => `container:${ctx}`;
export const hwptDomain = (ctx: number, hwpt: number): DomainName => `hwpt:${ctx}.${hwpt}`;
export const privateDomain = (dev: number): DomainName => `private:${dev}`;
export const SVA_DOMAIN = 'sva';

/** The user context a user domain belongs to, or null for kernel domains. */
export function userOfDomain(d: DomainName | null): number | null {
  const m = d === null ? null : /^(?:container|hwpt):(\d+)/.exec(d);
  return m ? Number(m[1]) : null;
}

/** The PASID the model gives every SVA bond (one process address space per scenario). */
export const SVA_PASID = 1;
