// Worker threads load plain JavaScript; this entry teaches the thread TypeScript (tsx) and runs the load generator.
import { register } from 'tsx/esm/api';

register();
await import('./radius-load.ts');
