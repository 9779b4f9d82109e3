export { exploreFast, type ExploreFastOptions, type FastExplorationResult, type FastStats } from './exploreFast.ts';
export { deviceSymmetryClasses } from './symmetry.ts';
