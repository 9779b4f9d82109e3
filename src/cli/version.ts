/** The tool's version (package.json) and the kernel its model is pinned to: `--version`, and what shard reports record. */
import { createRequire } from 'node:module';
import { KERNEL_PIN } from '../kernel/version.ts';

/** This iommu-mc's version (package.json): a shard report records it, and merge refuses another. */
export function toolVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/** `iommu-mc --version`: the tool's version and the kernel its model is pinned to. */
export function versionText(): string {
  return `iommu-mc ${toolVersion()}\nmodel of Linux ${KERNEL_PIN.version}: ${KERNEL_PIN.repo} at ${KERNEL_PIN.commit}`;
}
