/** The translation-path variants, for the tests: they are built-ins (src/machines/variants/translationPath.ts). */
export {
  acsWithoutTranslationBlocking,
  atcBeforeIotlb,
  atsAlwaysOn,
  atsAlwaysOnWithoutAtcFlush,
  atsForUntrusted,
  defaultDomainIgnoresUntrusted,
  mapWithoutBounce,
  unmapWithoutSync,
  unpinBeforeIotlbSync,
} from '../../src/machines/variants/translationPath.ts';
