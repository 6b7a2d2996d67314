import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isListening } from './services.js';

/**
 * A nats-server of the test's own, with JetStream on a file store in a temporary directory, on a free loopback
 * port: for tests that stop, restart or `kill -9` NATS (the machine's server is shared and never touched).
 * The binary is `nats-server` from PATH, or NATS_SERVER_BIN.
 *
 * The file store keeps what JetStream acknowledged through a process crash (`kill -9`): the data is in the OS
 * page cache. Surviving power loss needs `sync_interval: always` (NATS ≥ 2.10; docker-compose sets it).
 */
export class PrivateNats {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly configFile: string,
  ) {}

  static async start(): Promise<PrivateNats> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'handover-nats-'));
    const configFile = join(dir, 'nats-server.conf');
    writeFileSync(
      configFile,
      `listen: 127.0.0.1:${port}\nmax_payload: 1MB\njetstream { store_dir: "${join(dir, 'js')}" }\n`,
    );
    const nats = new PrivateNats(port, dir, configFile);
    await nats.spawn();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Clean stop (SIGTERM: the server flushes and shuts JetStream down). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Crash: SIGKILL, nothing flushed by the server. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Starts the server again on the same port and store. */
  async spawn(): Promise<void> {
    if (this.child) throw new Error('private nats-server is already running');
    const child = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096);
    });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await isListening('127.0.0.1', this.port, 200))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        this.child = undefined;
        child.kill('SIGKILL');
        throw new Error(`private nats-server did not start on ${this.port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server (if running) and removes its store. */
  async destroy(): Promise<void> {
    await this.signal('SIGKILL');
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
