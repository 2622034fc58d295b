// Test-only zip writer that writes raw local headers and central directory records, so tests can build the
// hostile archives a careful writer (yazl) refuses to: traversal names, lying sizes, links, duplicates.
import { crc32, deflateRawSync } from "node:zlib";

export interface RawEntry {
  /** Central-directory name (a string is written as UTF-8). */
  name: string | Buffer;
  /** Name in the local header when it should differ from the central one. */
  localName?: string | Buffer;
  /** Uncompressed content; ignored when `compressed` is given. */
  data?: Buffer | string;
  /** Raw deflate stream to store as-is (method 8), e.g. a pre-built bomb. */
  compressed?: Buffer;
  /** 0 = stored, 8 = deflate (default). */
  method?: number;
  /** Overrides for what the headers claim. */
  uncompressedSize?: number;
  crc32?: number;
  /** General purpose flags; default sets the UTF-8 bit (0x800). */
  flags?: number;
  /** Unix mode in the high 16 bits of the external attributes (default 0o100644). */
  unixMode?: number;
  /** Low 16 bits (DOS attributes). */
  dosAttributes?: number;
  /** Host in "version made by" (3 = Unix, 0 = DOS). */
  madeBy?: number;
  extraFields?: { id: number; data: Buffer }[];
  /** Central-directory sizes (compressed and uncompressed) claiming more bytes than were written. */
  centralSizeOverride?: number;
}

function bytes(value: string | Buffer): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

function extraBytes(fields: RawEntry["extraFields"]): Buffer {
  return Buffer.concat(
    (fields ?? []).map((f) => {
      const head = Buffer.alloc(4);
      head.writeUInt16LE(f.id, 0);
      head.writeUInt16LE(f.data.length, 2);
      return Buffer.concat([head, f.data]);
    }),
  );
}

/** Builds a complete archive from the entries, in order. */
export function rawZip(entries: readonly RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = bytes(entry.name);
    const localName = bytes(entry.localName ?? entry.name);
    const method = entry.compressed ? 8 : (entry.method ?? 8);
    const plain = bytes(entry.data ?? "");
    const payload = entry.compressed ?? (method === 8 ? deflateRawSync(plain) : plain);
    const size = entry.uncompressedSize ?? plain.length;
    const crc = entry.crc32 ?? crc32(plain);
    const flags = entry.flags ?? 0x800;
    const extra = extraBytes(entry.extraFields);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localRecord = Buffer.concat([local, localName, extra, payload]);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(((entry.madeBy ?? 3) << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.centralSizeOverride ?? payload.length, 20);
    central.writeUInt32LE(entry.centralSizeOverride ?? size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt16LE(0, 32);
    central.writeUInt16LE(0, 34);
    central.writeUInt16LE(0, 36);
    const mode = entry.unixMode ?? 0o100644;
    central.writeUInt32LE(((mode << 16) | (entry.dosAttributes ?? 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(Buffer.concat([central, name, extra]));

    locals.push(localRecord);
    offset += localRecord.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * A raw deflate stream of `totalBytes` zeros (a multiple of 1 MiB) and its CRC-32, built one MiB at a
 * time: one flushed block of 1 MiB of zeros is repeated, then a final empty block closes the stream. 1 GiB
 * of zeros comes out near 1 MiB, and at no point is more than 1 MiB of plain data held in memory.
 */
export function zeroBomb(totalBytes: number): { compressed: Buffer; crc32: number } {
  const chunk = 1024 * 1024;
  if (totalBytes % chunk !== 0) throw new RangeError("totalBytes must be a multiple of 1 MiB");
  const zeros = Buffer.alloc(chunk);
  // Z_FULL_FLUSH ends the block on a byte boundary without the final bit, so copies can follow each other.
  const block = deflateRawSync(zeros, { level: 9, finishFlush: 3 });
  const finalBlock = Buffer.from([0x03, 0x00]);
  const count = totalBytes / chunk;
  const parts: Buffer[] = [];
  let crc = 0;
  for (let i = 0; i < count; i++) {
    parts.push(block);
    crc = crc32(zeros, crc);
  }
  parts.push(finalBlock);
  return { compressed: Buffer.concat(parts), crc32: crc };
}
