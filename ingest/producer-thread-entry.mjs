// Worker threads load plain JavaScript; this entry teaches the thread TypeScript (tsx).
import { register } from 'tsx/esm/api';

register();
await import('./producer-thread-worker.ts');
