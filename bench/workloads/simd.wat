;; f32x4 dot products over two arrays of n floats, repeated: a SIMD kernel.
(module
  (memory 16)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $pass i32) (local $acc v128) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (loop $fill
      (f32.store (i32.shl (local.get $i) (i32.const 2))
        (f32.convert_i32_u (i32.and (local.get $i) (i32.const 1023))))
      (f32.store (i32.add (local.get $bytes) (i32.shl (local.get $i) (i32.const 2)))
        (f32.mul (f32.convert_i32_u (i32.and (i32.mul (local.get $i) (i32.const 7)) (i32.const 1023)))
                 (f32.const 0.001)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (loop $passes
      (local.set $i (i32.const 0))
      (loop $dot
        (local.set $acc
          (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load (local.get $i))
                       (v128.load (i32.add (local.get $bytes) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $dot (i32.lt_u (local.get $i) (local.get $bytes))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $pass) (i32.const 100))))
    (i64.trunc_sat_f32_s
      (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
               (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))))
