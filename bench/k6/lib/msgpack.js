// Minimal MessagePack for the k6 scripts (k6 has no msgpack module): the
// subset the /v1/stream protocol uses — maps with string keys, arrays,
// strings, integers, floats, booleans and nil. Plain ES2015, no TextEncoder
// (not every k6 build has it). ops/k6-msgpack.test.ts checks it against
// msgpackr, the implementation the server uses.

function utf8Bytes(text) {
  const out = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return out;
}

function utf8Text(bytes, start, end) {
  let text = '';
  let i = start;
  while (i < end) {
    const b = bytes[i++];
    let code;
    if (b < 0x80) code = b;
    else if (b < 0xe0) code = ((b & 31) << 6) | (bytes[i++] & 63);
    else if (b < 0xf0) code = ((b & 15) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
    else code = ((b & 7) << 18) | ((bytes[i++] & 63) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
    if (code >= 0x10000) {
      code -= 0x10000;
      text += String.fromCharCode(0xd800 + (code >> 10), 0xdc00 + (code & 1023));
    } else text += String.fromCharCode(code);
  }
  return text;
}

function pushUint(out, value, bytes) {
  for (let shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push(Math.floor(value / 2 ** shift) & 255);
}

function encodeInto(out, value) {
  if (value === null || value === undefined) out.push(0xc0);
  else if (value === true) out.push(0xc3);
  else if (value === false) out.push(0xc2);
  else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      if (value < 128) out.push(value);
      else if (value < 256) out.push(0xcc, value);
      else if (value < 65536) { out.push(0xcd); pushUint(out, value, 2); }
      else { out.push(0xce); pushUint(out, value, 4); }
    } else if (Number.isInteger(value) && value < 0 && value >= -0x80000000) {
      if (value >= -32) out.push(value & 255);
      else { out.push(0xd2); pushUint(out, value >>> 0, 4); }
    } else {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, value);
      out.push(0xcb);
      for (let i = 0; i < 8; i++) out.push(view.getUint8(i));
    }
  } else if (typeof value === 'string') {
    const bytes = utf8Bytes(value);
    if (bytes.length < 32) out.push(0xa0 | bytes.length);
    else if (bytes.length < 256) out.push(0xd9, bytes.length);
    else if (bytes.length < 65536) { out.push(0xda); pushUint(out, bytes.length, 2); }
    else { out.push(0xdb); pushUint(out, bytes.length, 4); }
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
  } else if (Array.isArray(value)) {
    if (value.length < 16) out.push(0x90 | value.length);
    else if (value.length < 65536) { out.push(0xdc); pushUint(out, value.length, 2); }
    else { out.push(0xdd); pushUint(out, value.length, 4); }
    for (let i = 0; i < value.length; i++) encodeInto(out, value[i]);
  } else if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length < 16) out.push(0x80 | keys.length);
    else if (keys.length < 65536) { out.push(0xde); pushUint(out, keys.length, 2); }
    else { out.push(0xdf); pushUint(out, keys.length, 4); }
    for (let i = 0; i < keys.length; i++) {
      encodeInto(out, keys[i]);
      encodeInto(out, value[keys[i]]);
    }
  } else throw new Error(`msgpack: cannot encode ${typeof value}`);
}

/** The MessagePack encoding of `value`, as an ArrayBuffer (what k6's socket.sendBinary takes). */
export function encode(value) {
  const out = [];
  encodeInto(out, value);
  return new Uint8Array(out).buffer;
}

/** Decodes one MessagePack value from an ArrayBuffer (a binary WebSocket message). */
export function decode(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let pos = 0;
  const uint = (n) => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + bytes[pos++];
    return v;
  };
  const str = (n) => {
    const s = utf8Text(bytes, pos, pos + n);
    pos += n;
    return s;
  };
  const arr = (n) => {
    const a = [];
    for (let i = 0; i < n; i++) a.push(next());
    return a;
  };
  const map = (n) => {
    const m = {};
    for (let i = 0; i < n; i++) {
      const k = next();
      m[k] = next();
    }
    return m;
  };
  function next() {
    const b = bytes[pos++];
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 256;
    if ((b & 0xf0) === 0x80) return map(b & 15);
    if ((b & 0xf0) === 0x90) return arr(b & 15);
    if ((b & 0xe0) === 0xa0) return str(b & 31);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xcc: return uint(1);
      case 0xcd: return uint(2);
      case 0xce: return uint(4);
      case 0xcf: return uint(8);
      case 0xd0: { const v = view.getInt8(pos); pos += 1; return v; }
      case 0xd1: { const v = view.getInt16(pos); pos += 2; return v; }
      case 0xd2: { const v = view.getInt32(pos); pos += 4; return v; }
      case 0xca: { const v = view.getFloat32(pos); pos += 4; return v; }
      case 0xcb: { const v = view.getFloat64(pos); pos += 8; return v; }
      case 0xd9: return str(uint(1));
      case 0xda: return str(uint(2));
      case 0xdb: return str(uint(4));
      case 0xdc: return arr(uint(2));
      case 0xdd: return arr(uint(4));
      case 0xde: return map(uint(2));
      case 0xdf: return map(uint(4));
      default: throw new Error(`msgpack: unsupported type byte 0x${b.toString(16)}`);
    }
  }
  return next();
}
