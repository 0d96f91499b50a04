;; Quicksort (recursive, Lomuto partition) of n pseudo-random i32s: compares, branches, swaps.
(module
  (memory 64)
  (func $quicksort (param $lo i32) (param $hi i32)
    (local $pivot i32) (local $i i32) (local $j i32) (local $t i32)
    (if (i32.ge_s (local.get $lo) (local.get $hi)) (then (return)))
    (local.set $pivot (i32.load (i32.shl (local.get $hi) (i32.const 2))))
    (local.set $i (local.get $lo))
    (local.set $j (local.get $lo))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_s (local.get $j) (local.get $hi)))
        (if (i32.lt_s (i32.load (i32.shl (local.get $j) (i32.const 2))) (local.get $pivot))
          (then
            (local.set $t (i32.load (i32.shl (local.get $i) (i32.const 2))))
            (i32.store (i32.shl (local.get $i) (i32.const 2))
              (i32.load (i32.shl (local.get $j) (i32.const 2))))
            (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $t))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scan)))
    (local.set $t (i32.load (i32.shl (local.get $i) (i32.const 2))))
    (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $pivot))
    (i32.store (i32.shl (local.get $hi) (i32.const 2)) (local.get $t))
    (call $quicksort (local.get $lo) (i32.sub (local.get $i) (i32.const 1)))
    (call $quicksort (i32.add (local.get $i) (i32.const 1)) (local.get $hi)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $x i32) (local $check i64)
    (local.set $x (i32.const 12345))
    (loop $fill
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $x) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (call $quicksort (i32.const 0) (i32.sub (local.get $n) (i32.const 1)))
    ;; A checksum that depends on the order: sum of value * (index + 1), and -1 if unsorted.
    (local.set $i (i32.const 0))
    (loop $check_loop
      (local.set $check
        (i64.add (local.get $check)
          (i64.mul (i64.extend_i32_u (i32.load (i32.shl (local.get $i) (i32.const 2))))
                   (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1))))))
      (if (i32.gt_u (local.get $i) (i32.const 0))
        (then
          (if (i32.gt_s (i32.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
                        (i32.load (i32.shl (local.get $i) (i32.const 2))))
            (then (return (i64.const -1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $check_loop (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $check)))
