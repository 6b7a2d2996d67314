import type { CodeGrant } from './code.store.js';

/** A record: the code's SHA-256, the jti and the tenant id as 16 bytes each, the expiry in ms (float64). */
const KEY_BYTES = 32;
const JTI_AT = KEY_BYTES;
const TENANT_AT = JTI_AT + 16;
const EXPIRY_AT = TENANT_AT + 16;
const RECORD_BYTES = EXPIRY_AT + 8;
/** Records are allocated this many at a time (~1.2 MB), so the table grows without copying what it holds. */
const CHUNK_RECORDS = 16_384;
const MIN_INDEX_SLOTS = 2048;
/** An index slot holds its record's sequence number modulo this, plus one (0: free). */
const SEQ_SPAN = 2 ** 31;
const SWEEP_EVERY_MS = 1000;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Embedded mode's grant markers (CodeStore), off the V8 heap. A marker is kept for every code issued in the last
 * 30.5 min, ~500,000 of them after a few minutes at full load: as two strings in a Map they cost ~250 bytes each on
 * the heap, plus the garbage a heap that size carries before each major collection. Here a marker is one 72-byte
 * record plus 8–16 bytes of index.
 *
 * Records are numbered in the order they are written, which is their order of expiry (one TTL for every marker),
 * so expired ones are dropped from the oldest end without a walk, a whole chunk freed at a time. The index is open
 * addressing with linear probing, keyed by the digest's first 32 bits (SHA-256: already uniform), at most half
 * full. One process only: a distributed deployment keeps markers in Redis, where every token replica sees them.
 */
export class GrantMarkerTable {
  /** Record `seq` is the `(seq - firstSeq) % CHUNK_RECORDS`-th of `chunks[(seq - firstSeq) / CHUNK_RECORDS]`. */
  private readonly chunks: Buffer[] = [];
  private firstSeq = 0;
  /** The oldest record kept, and the next one to write. */
  private head = 0;
  private tail = 0;
  private index = new Uint32Array(MIN_INDEX_SLOTS);
  private readonly key = Buffer.alloc(KEY_BYTES);
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Markers held, expired ones not yet dropped included. */
  get size(): number {
    return this.tail - this.head;
  }

  /**
   * Stores the grant under `codeHash` (a SHA-256 in base64url) for `ttlSeconds`, replacing any before. False, with
   * nothing stored, when the grant's jti or tenant id is not a lower-case UUID: the caller keeps that marker
   * elsewhere.
   */
  put(codeHash: string, grant: CodeGrant, ttlSeconds: number): boolean {
    if (!UUID_PATTERN.test(grant.jti) || !UUID_PATTERN.test(grant.tenantId) || !this.readKey(codeHash)) return false;
    let seq = this.find();
    if (seq < 0) {
      if (2 * (this.size + 1) > this.index.length) this.reindex(2 * this.index.length);
      seq = this.tail++;
      if (seq - this.firstSeq === this.chunks.length * CHUNK_RECORDS) {
        this.chunks.push(Buffer.allocUnsafeSlow(CHUNK_RECORDS * RECORD_BYTES));
      }
      this.key.copy(this.chunkOf(seq), offsetOf(seq - this.firstSeq));
      this.index[this.freeSlotFor(seq)] = (seq % SEQ_SPAN) + 1;
    }
    const chunk = this.chunkOf(seq);
    const offset = offsetOf(seq - this.firstSeq);
    writeUuid(chunk, offset + JTI_AT, grant.jti);
    writeUuid(chunk, offset + TENANT_AT, grant.tenantId);
    chunk.writeDoubleLE(this.now() + ttlSeconds * 1000, offset + EXPIRY_AT);
    return true;
  }

  /** The grant stored under `codeHash`, unless it has expired. */
  get(codeHash: string): CodeGrant | null {
    if (!this.readKey(codeHash)) return null;
    const seq = this.find();
    if (seq < 0) return null;
    const chunk = this.chunkOf(seq);
    const offset = offsetOf(seq - this.firstSeq);
    if (chunk.readDoubleLE(offset + EXPIRY_AT) <= this.now()) return null;
    return { jti: readUuid(chunk, offset + JTI_AT), tenantId: readUuid(chunk, offset + TENANT_AT) };
  }

  /**
   * Drops expired records from the oldest end, and the chunks they emptied; halves an index 1/8 full. Every second
   * in the background: `get` checks the expiry itself, so an expired record waiting for it is never an answer.
   */
  sweep(): void {
    const now = this.now();
    while (this.head < this.tail && this.expiryOf(this.head) <= now) {
      this.unindex(this.head);
      this.head++;
      if (this.head - this.firstSeq === CHUNK_RECORDS) {
        this.chunks.shift();
        this.firstSeq += CHUNK_RECORDS;
      }
    }
    if (this.index.length > MIN_INDEX_SLOTS && 8 * this.size < this.index.length) this.reindex(this.index.length / 2);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Decodes a code's hash into `this.key`; false when it is not 32 bytes of base64url. */
  private readKey(codeHash: string): boolean {
    return codeHash.length === 43 && this.key.write(codeHash, 'base64url') === KEY_BYTES;
  }

  private chunkOf(seq: number): Buffer {
    return this.chunks[Math.floor((seq - this.firstSeq) / CHUNK_RECORDS)];
  }

  private expiryOf(seq: number): number {
    return this.chunkOf(seq).readDoubleLE(offsetOf(seq - this.firstSeq) + EXPIRY_AT);
  }

  /** The record an index slot names: the one kept whose sequence number matches it modulo SEQ_SPAN. */
  private seqIn(slot: number): number {
    return this.head + ((this.index[slot] - 1 - (this.head % SEQ_SPAN) + SEQ_SPAN) % SEQ_SPAN);
  }

  /** The sequence number of the record whose key is `this.key`, or -1. */
  private find(): number {
    const mask = this.index.length - 1;
    for (let slot = this.key.readUInt32LE(0) & mask; this.index[slot] !== 0; slot = (slot + 1) & mask) {
      const seq = this.seqIn(slot);
      const offset = offsetOf(seq - this.firstSeq);
      if (this.key.compare(this.chunkOf(seq), offset, offset + KEY_BYTES) === 0) return seq;
    }
    return -1;
  }

  private homeSlot(seq: number): number {
    return this.chunkOf(seq).readUInt32LE(offsetOf(seq - this.firstSeq)) & (this.index.length - 1);
  }

  private freeSlotFor(seq: number): number {
    const mask = this.index.length - 1;
    let slot = this.homeSlot(seq);
    while (this.index[slot] !== 0) slot = (slot + 1) & mask;
    return slot;
  }

  /** Removes record `seq` from the index, shifting back the ones probed past it (no tombstones). */
  private unindex(seq: number): void {
    const mask = this.index.length - 1;
    const value = (seq % SEQ_SPAN) + 1;
    let hole = this.homeSlot(seq);
    while (this.index[hole] !== value) hole = (hole + 1) & mask;
    for (let slot = (hole + 1) & mask; this.index[slot] !== 0; slot = (slot + 1) & mask) {
      const home = this.homeSlot(this.seqIn(slot));
      // The entry at `slot` may fill the hole unless its home lies cyclically in (hole, slot].
      const homeBetween = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (!homeBetween) {
        this.index[hole] = this.index[slot];
        hole = slot;
      }
    }
    this.index[hole] = 0;
  }

  private reindex(slots: number): void {
    this.index = new Uint32Array(slots);
    for (let seq = this.head; seq < this.tail; seq++) this.index[this.freeSlotFor(seq)] = (seq % SEQ_SPAN) + 1;
  }
}

function offsetOf(position: number): number {
  return (position % CHUNK_RECORDS) * RECORD_BYTES;
}

function writeUuid(target: Buffer, offset: number, uuid: string): void {
  target.write(uuid.slice(0, 8), offset, 'hex');
  target.write(uuid.slice(9, 13), offset + 4, 'hex');
  target.write(uuid.slice(14, 18), offset + 6, 'hex');
  target.write(uuid.slice(19, 23), offset + 8, 'hex');
  target.write(uuid.slice(24), offset + 10, 'hex');
}

function readUuid(source: Buffer, offset: number): string {
  const hex = source.toString('hex', offset, offset + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
