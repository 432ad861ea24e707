// Where the web page is served, as the request checks need it: the local addresses it answers on and the Host
// names it accepts. Known in full only once the server listens (the port may have been 0).
import { allowedHostHeaders, type Listening, servedLocalAddresses } from './security.js';

export class ServedAt {
  listening: Listening;
  /** Local addresses a request may arrive on. */
  served: Set<string>;
  /** Host headers that name us; empty until the port is known. */
  hosts = new Set<string>();

  constructor(listening: Listening) {
    this.listening = listening;
    this.served = servedLocalAddresses(listening);
  }

  /** The server listens on `port` now. */
  listened(port: number): void {
    this.listening = { ...this.listening, port };
    this.served = servedLocalAddresses(this.listening);
    this.hosts = allowedHostHeaders(this.listening);
  }
}
