// Piscina loads workers as plain JavaScript; this entry teaches the worker
// thread TypeScript (tsx) and re-exports the task function.
import { register } from 'tsx/esm/api';

register();
const { default: rateInWorker } = await import('./rate-worker.ts');
export default rateInWorker;
