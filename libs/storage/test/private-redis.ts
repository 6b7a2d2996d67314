import { spawn, type ChildProcess } from 'node:child_process';
import { isListening } from '#testing';

/**
 * A redis-server of the test's own, on a loopback port it chose, for tests that kill the server. It is
 * stopped by its PID, never by name, so the machine's Redis is never touched.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server, unless it is running already. */
  async start(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''],
      { stdio: 'ignore' },
    );
    this.process = child;
    const deadline = Date.now() + 5000;
    while (!(await isListening('127.0.0.1', this.port, 200))) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited (${child.exitCode})`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server did not listen on port ${this.port} within 5 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** SIGSTOP by PID: the server keeps its connections but answers nothing (a hung server), until `resume`. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL by PID: the server dies at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}
