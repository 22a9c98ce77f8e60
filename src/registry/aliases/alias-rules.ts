import { InputError } from '../../core/errors/index.js';

/** Aliases that need `model:promote` unless configured otherwise. */
export const DEFAULT_PROTECTED_ALIASES: readonly string[] = ['champion'];

const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;
/** `latest` and `v<N>` name versions already (`models:/fraud@latest`, `@v3`), as in MLflow. */
const RESERVED = /^(latest|v\d+)$/i;

/** Which alias names exist and which are protected. */
export class AliasRules {
  private readonly protectedNames: Set<string>;

  constructor(readonly protectedAliases: readonly string[] = DEFAULT_PROTECTED_ALIASES) {
    // case-insensitive, so `Champion` is no way around the rule
    this.protectedNames = new Set(protectedAliases.map((a) => a.toLowerCase()));
  }

  isProtected(alias: string): boolean {
    return this.protectedNames.has(alias.toLowerCase());
  }

  static isReserved(alias: string): boolean {
    return RESERVED.test(alias);
  }

  /** Throws unless `alias` may be set: well-formed and not reserved. */
  static check(alias: string): string {
    if (RESERVED.test(alias)) {
      throw new InputError('FALAJ_ALIAS_RESERVED', `alias "${alias}" is reserved: "latest" and "v<N>" already name versions; pick another name`);
    }
    if (!ALIAS.test(alias)) throw new InputError('FALAJ_VALIDATION_FAILED', `invalid alias "${alias}": 1-255 letters, digits, "_" or "-"`);
    return alias;
  }
}
