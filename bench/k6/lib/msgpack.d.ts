/** Types of lib/msgpack.js for the Node tests that check it (k6 itself runs the JavaScript). */
export function encode(value: unknown): ArrayBuffer;
export function decode(buffer: ArrayBuffer): unknown;
