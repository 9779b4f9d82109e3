/** The PASID-REUSE variant, for the tests: a built-in (src/machines/variants/translationPath.ts). */
export { unbindWithoutDrain } from '../../src/machines/variants/translationPath.ts';
