/**
 * Parent side of the load generator: forks bench/load/load-client.ts (its own
 * process, so it gets its own core), lets it prepare its bodies, then starts
 * it on demand. Bounded: the child is killed if it outlives its time limit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../scripts/infra.ts';
import type { ChildMessage, LoadResult, LoadSpec, ParentMessage } from './protocol.ts';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));
/** Preparing bodies and connecting take a little on top of the run itself. */
const SLACK_SECONDS = 60;

export interface PreparedLoad {
  bodies: number;
  bodyBytesAvg: number;
  /** Starts the load; resolves with the child's measurements. `onMeasuring` runs when warm-up is over. */
  go: (onMeasuring?: () => void) => Promise<LoadResult>;
  kill: () => void;
}

export function prepareLoad(spec: LoadSpec): Promise<PreparedLoad> {
  const child: ChildProcess = fork(CLIENT, [], {
    cwd: projectRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const limitMs = (spec.seconds + spec.warmupSeconds + SLACK_SECONDS) * 1000;
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const kill = (): void => {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let onMessage: (message: ChildMessage) => void = () => undefined;
  let onExit: (why: string) => void = () => undefined;
  child.on('message', (message: ChildMessage) => onMessage(message));
  child.on('exit', (code, signal) => {
    clearTimeout(killer);
    onExit(`load generator exited (code ${code ?? '-'}, signal ${signal ?? '-'})`);
  });
  child.on('error', (err) => onExit(`load generator failed: ${err.message}`));
  const post = (message: ParentMessage): void => {
    child.send(message);
  };

  return new Promise<PreparedLoad>((resolveReady, rejectReady) => {
    onExit = (why) => rejectReady(new Error(why));
    onMessage = (message) => {
      if (message.type === 'error') {
        kill();
        rejectReady(new Error(`load generator: ${message.message}`));
        return;
      }
      if (message.type !== 'ready') return;
      resolveReady({
        bodies: message.bodies,
        bodyBytesAvg: message.bodyBytesAvg,
        kill,
        go: (onMeasuring) => new Promise<LoadResult>((resolve, reject) => {
          let settled = false;
          onExit = (why) => {
            if (!settled) reject(new Error(why));
          };
          onMessage = (m) => {
            if (m.type === 'measuring') {
              onMeasuring?.();
              return;
            }
            settled = true;
            if (m.type === 'result') resolve(m.result);
            else if (m.type === 'error') reject(new Error(`load generator: ${m.message}`));
          };
          post({ type: 'go' });
        }),
      });
    };
    post({ type: 'prepare', spec });
  });
}
