import { randomInt } from 'node:crypto';

// MLflow names unnamed runs `<adjective>-<noun>-<number>`; so do we, with our own words.
const ADJECTIVES = ['amber', 'brisk', 'calm', 'clever', 'dusty', 'eager', 'gentle', 'golden', 'humble', 'keen', 'lively', 'mellow', 'nimble', 'patient', 'quiet', 'rapid', 'silent', 'steady', 'swift', 'wise'];
const NOUNS = ['dune', 'falcon', 'palm', 'oasis', 'gazelle', 'oryx', 'date', 'dhow', 'pearl', 'wadi', 'camel', 'mangrove', 'heron', 'lynx', 'frankincense', 'sidr', 'ghaf', 'coral', 'reef', 'lantern'];

export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
