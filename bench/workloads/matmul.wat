;; n x n f64 matrix multiply: float arithmetic and strided loads.
(module
  (memory 16)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $k i32) (local $b i32) (local $c i32)
    (local $sum f64) (local $total f64)
    (local.set $b (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
    (local.set $c (i32.shl (local.get $b) (i32.const 1)))
    ;; A[i][j] = (i + j) / 2, B[i][j] = (i - j) / 4
    (local.set $i (i32.const 0))
    (loop $init_i
      (local.set $j (i32.const 0))
      (loop $init_j
        (f64.store
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3))
          (f64.mul (f64.convert_i32_s (i32.add (local.get $i) (local.get $j))) (f64.const 0.5)))
        (f64.store
          (i32.add (local.get $b)
            (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
          (f64.mul (f64.convert_i32_s (i32.sub (local.get $i) (local.get $j))) (f64.const 0.25)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $init_j (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $init_i (i32.lt_u (local.get $i) (local.get $n))))
    ;; C = A * B
    (local.set $i (i32.const 0))
    (loop $mul_i
      (local.set $j (i32.const 0))
      (loop $mul_j
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $mul_k
          (local.set $sum
            (f64.add (local.get $sum)
              (f64.mul
                (f64.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3)))
                (f64.load (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $mul_k (i32.lt_u (local.get $k) (local.get $n))))
        (f64.store
          (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
          (local.get $sum))
        (local.set $total (f64.add (local.get $total) (local.get $sum)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $mul_j (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $mul_i (i32.lt_u (local.get $i) (local.get $n))))
    (i64.trunc_f64_s (local.get $total))))
