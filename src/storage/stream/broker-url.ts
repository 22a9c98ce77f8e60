import { ConfigError } from '../../core/errors/index.js';

/** One `host:port` of a broker URL. */
export interface BrokerAddress {
  host: string;
  port: number;
}

/** A broker URL taken apart: `scheme://[user[:password]@]host[:port][,host[:port]…]`. */
export interface BrokerUrl {
  scheme: string;
  addresses: BrokerAddress[];
  username: string | undefined;
  password: string | undefined;
  /** the URL without its credentials: safe for messages and logs */
  location: string;
}

const SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]+)\/?$/i;
const ADDRESS = /^(?:\[([0-9a-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/i;

/**
 * Parses a broker URL that may list several hosts, which WHATWG `URL` refuses
 * (`kafka://k1:9092,k2:9092`). No path or query is accepted: no broker here takes one.
 *
 * @throws ConfigError `FALAJ_STREAM_CONFIG_INVALID` naming what is wrong (never the password)
 */
export function parseBrokerUrl(url: string, defaultPort: number): BrokerUrl {
  const match = SHAPE.exec(url.trim());
  if (!match) throw invalidUrl(url, 'expected scheme://host:port[,host:port]');
  const [, scheme, userinfo, hostList] = match as unknown as [string, string, string | undefined, string];
  const addresses = hostList.split(',').map((part) => {
    const address = ADDRESS.exec(part.trim());
    const port = address?.[3] === undefined ? defaultPort : Number(address[3]);
    if (!address || port < 1 || port > 65_535) throw invalidUrl(url, `${JSON.stringify(part)} is not host:port`);
    return { host: address[1] ?? address[2]!, port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    try {
      username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
      password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      throw invalidUrl(url, 'the credentials are not validly percent-encoded');
    }
  }
  const hosts = addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
  return { scheme: scheme.toLowerCase(), addresses, username, password, location: `${scheme.toLowerCase()}://${hosts.join(',')}` };
}

function invalidUrl(url: string, problem: string): ConfigError {
  // The URL may hold a password: show only what precedes the credentials.
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  return new ConfigError('FALAJ_STREAM_CONFIG_INVALID', `stream broker URL ${JSON.stringify(shown)} is not valid: ${problem}.`);
}
