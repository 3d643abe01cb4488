/**
 * Graceful shutdown: steps run in reverse order of registration (stop
 * accepting first, then drain, commit, close clients), each bounded in time.
 */
import type { Logger } from './log.ts';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

export class Shutdown {
  private readonly steps: ShutdownStep[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: Logger, private readonly stepTimeoutMs = 15_000) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** A step that runs after every other, whenever it is added (e.g. stopping infrastructure the clients still use). */
  addFinal(name: string, run: () => Promise<void>): void {
    this.steps.unshift({ name, run });
  }

  run(reason: string): Promise<void> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  /** Runs the steps on SIGTERM/SIGINT, then exits. */
  installSignalHandlers(): void {
    const onSignal = (signal: string): void => {
      this.run(signal).then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }

  private async runSteps(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    for (const step of [...this.steps].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
      });
      try {
        await Promise.race([step.run(), timeout]);
        this.log.info({ step: step.name }, 'shutdown step done');
      } catch (err) {
        this.log.error({ step: step.name, err }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
