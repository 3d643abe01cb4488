/**
 * The simulator's RouterOS API server (TCP): login, /system/resource/print,
 * /ip/hotspot/active/print|remove, /ip/hotspot/user/add|remove|print and
 * /export, over the same wire codec as the client. Test and bench use only.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { attributesOf, encodeSentence, SentenceReader } from '../routeros/protocol.ts';

export interface HotspotActiveEntry {
  '.id': string;
  user: string;
  address: string;
  'session-id': string;
}

export interface RouterOsServerState {
  user: string;
  password: string;
  active: HotspotActiveEntry[];
  users: Record<string, string>[];
  /** Every command the server ran, in order (for assertions). */
  commands: string[];
}

export class RouterOsServer {
  private server: Server | undefined;
  private nextId = 1;

  constructor(readonly state: RouterOsServerState) {}

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  addActive(entry: Omit<HotspotActiveEntry, '.id'>): void {
    this.state.active.push({ '.id': `*${(this.nextId++).toString(16).toUpperCase()}`, ...entry });
  }

  private serve(socket: Socket): void {
    const reader = new SentenceReader();
    let loggedIn = false;
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      let sentences: string[][];
      try {
        sentences = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const words of sentences) {
        const [command = ''] = words;
        const args = attributesOf(words);
        const queries = Object.fromEntries(words.filter((w) => w.startsWith('?')).map((w) => {
          const eq = w.indexOf('=');
          return [w.slice(1, eq), w.slice(eq + 1)];
        }));
        this.state.commands.push(command);
        const reply = (...sentencesOut: string[][]): void => { for (const s of sentencesOut) socket.write(encodeSentence(s)); };
        if (command === '/login') {
          loggedIn = args.name === this.state.user && args.password === this.state.password;
          reply(loggedIn ? ['!done'] : ['!trap', '=message=invalid user name or password (6)']);
          continue;
        }
        if (!loggedIn) {
          reply(['!fatal', 'not logged in']);
          socket.end();
          return;
        }
        reply(...this.run(command, args, queries));
      }
    });
  }

  private run(command: string, args: Record<string, string>, queries: Record<string, string>): string[][] {
    const items = (rows: Record<string, string>[]): string[][] => [...rows.map((r) => ['!re', ...Object.entries(r).map(([k, v]) => `=${k}=${v}`)]), ['!done']];
    switch (command) {
      case '/system/resource/print':
        return items([{ uptime: '1d2h3m4s', 'cpu-load': '7', 'free-memory': '100000000', 'total-memory': '268435456', version: '7.16 (stable)', 'board-name': 'simulator' }]);
      case '/ip/hotspot/active/print':
        return items(this.state.active.filter((e) => Object.entries(queries).every(([k, v]) => (e as unknown as Record<string, string>)[k] === v)) as unknown as Record<string, string>[]);
      case '/ip/hotspot/active/remove': {
        const before = this.state.active.length;
        this.state.active = this.state.active.filter((e) => e['.id'] !== args['.id']);
        return before === this.state.active.length ? [['!trap', '=message=no such item']] : [['!done']];
      }
      case '/ip/hotspot/user/add':
        if (!args.name) return [['!trap', '=message=name required']];
        this.state.users.push({ '.id': `*U${this.state.users.length + 1}`, ...args });
        return [['!done', `=ret=*U${this.state.users.length}`]];
      case '/ip/hotspot/user/remove': {
        const before = this.state.users.length;
        this.state.users = this.state.users.filter((u) => u['.id'] !== args['.id'] && u.name !== args['.id']);
        return before === this.state.users.length ? [['!trap', '=message=no such item']] : [['!done']];
      }
      case '/ip/hotspot/user/print':
        return items(this.state.users);
      case '/export':
        return [['!re', `=ret=# simulator export\n/ip hotspot profile\nadd name=hsprof1\n/ip hotspot user\n${this.state.users.map((u) => `add name=${u.name}`).join('\n')}\n`], ['!done']];
      default:
        return [['!trap', `=message=no such command ${command}`]];
    }
  }
}
