/**
 * The catalog crosses to workers as msgpack bytes in a SharedArrayBuffer,
 * encoded once per catalog version: a task carries a reference (no
 * structured clone of an object graph per task), and a worker decodes and
 * re-indexes only when the version changed.
 */
import { Packr } from 'msgpackr';
import type { Catalog } from './catalog.ts';

export interface SharedCatalog {
  version: string;
  bytes: SharedArrayBuffer;
}

const packr = new Packr({ useRecords: false });

export function shareCatalog(catalog: Catalog): SharedCatalog {
  const packed = packr.pack(catalog);
  const bytes = new SharedArrayBuffer(packed.byteLength);
  new Uint8Array(bytes).set(packed);
  return { version: catalog.version, bytes };
}

export function readSharedCatalog(shared: SharedCatalog): Catalog {
  return packr.unpack(new Uint8Array(shared.bytes)) as Catalog;
}
