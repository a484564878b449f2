;; Hamming distances between sign codes, for the in-process bit index (bit-index.ts).
;; Compiled to hamming-wasm.ts by `pnpm --filter @oxios/memory build:wasm`; a test checks that
;; the two agree. Codes are `chunks` × 64 bytes (a multiple of 512 bits), stored back to back.
(module
  (memory (export "memory") 1)

  ;; For each of `count` codes at `base`: its distance to the code at `query`, as a u16 at
  ;; `out` + 2 × row, counted in the u32 histogram at `hist` (one counter per distance).
  ;; With `mask` ≠ 0, a row whose mask byte is 0 is skipped: distance 0xFFFF, not counted.
  (func (export "distances")
    (param $query i32) (param $base i32) (param $count i32) (param $chunks i32)
    (param $out i32) (param $hist i32) (param $mask i32)
    (local $row i32) (local $end i32) (local $stride i32) (local $q i32) (local $chunkEnd i32)
    (local $distance i64) (local $slot i32)
    (local.set $stride (i32.shl (local.get $chunks) (i32.const 6)))
    (local.set $row (local.get $base))
    (local.set $end (i32.add (local.get $base) (i32.mul (local.get $count) (local.get $stride))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
        (if (i32.and (i32.ne (local.get $mask) (i32.const 0))
                     (i32.eqz (i32.load8_u (i32.add (local.get $mask) (local.get $slot)))))
          (then (i32.store16 (local.get $out) (i32.const 0xFFFF)))
          (else
            (local.set $distance (i64.const 0))
            (local.set $q (local.get $query))
            (local.set $chunkEnd (i32.add (local.get $row) (local.get $stride)))
            (loop $chunk
              (local.set $distance (i64.add (local.get $distance)
                (i64.add (i64.add (i64.add (i64.popcnt (i64.xor (i64.load offset=0 (local.get $row)) (i64.load offset=0 (local.get $q)))) (i64.popcnt (i64.xor (i64.load offset=8 (local.get $row)) (i64.load offset=8 (local.get $q))))) (i64.add (i64.popcnt (i64.xor (i64.load offset=16 (local.get $row)) (i64.load offset=16 (local.get $q)))) (i64.popcnt (i64.xor (i64.load offset=24 (local.get $row)) (i64.load offset=24 (local.get $q)))))) (i64.add (i64.add (i64.popcnt (i64.xor (i64.load offset=32 (local.get $row)) (i64.load offset=32 (local.get $q)))) (i64.popcnt (i64.xor (i64.load offset=40 (local.get $row)) (i64.load offset=40 (local.get $q))))) (i64.add (i64.popcnt (i64.xor (i64.load offset=48 (local.get $row)) (i64.load offset=48 (local.get $q)))) (i64.popcnt (i64.xor (i64.load offset=56 (local.get $row)) (i64.load offset=56 (local.get $q)))))))))
              (local.set $q (i32.add (local.get $q) (i32.const 64)))
              (local.set $row (i32.add (local.get $row) (i32.const 64)))
              (br_if $chunk (i32.lt_u (local.get $row) (local.get $chunkEnd))))
            (local.set $row (i32.sub (local.get $row) (local.get $stride)))
            (i32.store16 (local.get $out) (i32.wrap_i64 (local.get $distance)))
            (i32.store
              (i32.add (local.get $hist) (i32.shl (i32.wrap_i64 (local.get $distance)) (i32.const 2)))
              (i32.add (i32.const 1)
                (i32.load (i32.add (local.get $hist) (i32.shl (i32.wrap_i64 (local.get $distance)) (i32.const 2))))))))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
        (br $rows))))

  ;; The rows (of `count` u16 distances at `distances`) nearer than `below`, then those at
  ;; exactly `below`, in row order, until `limit`: written as u32 row numbers at `out`.
  ;; Returns how many were written.
  (func (export "collect")
    (param $distances i32) (param $count i32) (param $below i32) (param $limit i32) (param $out i32)
    (result i32)
    (local $row i32) (local $found i32) (local $distance i32)
    (block $first
      (loop $scan
        (br_if $first (i32.ge_u (local.get $row) (local.get $count)))
        (if (i32.lt_u (i32.load16_u (i32.add (local.get $distances) (i32.shl (local.get $row) (i32.const 1))))
                      (local.get $below))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $found) (i32.const 2))) (local.get $row))
            (local.set $found (i32.add (local.get $found) (i32.const 1)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $scan)))
    (local.set $row (i32.const 0))
    (block $second
      (loop $scan
        (br_if $second (i32.ge_u (local.get $found) (local.get $limit)))
        (br_if $second (i32.ge_u (local.get $row) (local.get $count)))
        (if (i32.eq (i32.load16_u (i32.add (local.get $distances) (i32.shl (local.get $row) (i32.const 1))))
                    (local.get $below))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $found) (i32.const 2))) (local.get $row))
            (local.set $found (i32.add (local.get $found) (i32.const 1)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $scan)))
    (local.get $found))
)
