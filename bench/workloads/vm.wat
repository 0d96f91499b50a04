;; A small register bytecode interpreter (dispatch through br_table), running a loop of
;; n iterations. Instructions are four i32 words: op, a, b, imm; registers are i64s in memory.
(module
  (memory 1)
  ;; 0: r1 = 0        1: r2 = 1          2: r1 += r0       3: r3 = r1 ^ (r2 << 1)
  ;; 4: r2 += r3      5: r0 -= 1         6: if r0 != 0 goto 2                 7: halt
  (data (i32.const 0)
    "\00\00\00\00\01\00\00\00\00\00\00\00\00\00\00\00"
    "\00\00\00\00\02\00\00\00\00\00\00\00\01\00\00\00"
    "\01\00\00\00\01\00\00\00\00\00\00\00\00\00\00\00"
    "\04\00\00\00\03\00\00\00\01\00\00\00\02\00\00\00"
    "\01\00\00\00\02\00\00\00\03\00\00\00\00\00\00\00"
    "\02\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"
    "\03\00\00\00\00\00\00\00\00\00\00\00\02\00\00\00"
    "\05\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (func $reg (param i32) (result i32) (i32.add (i32.const 1024) (i32.shl (local.get 0) (i32.const 3))))
  (func (export "run") (param $n i32) (result i64)
    (local $pc i32) (local $at i32) (local $a i32) (local $b i32) (local $imm i32)
    (i64.store (call $reg (i32.const 0)) (i64.extend_i32_u (local.get $n)))
    (block $halt
      (loop $dispatch
        (local.set $at (i32.shl (local.get $pc) (i32.const 4)))
        (local.set $a (i32.load offset=4 (local.get $at)))
        (local.set $b (i32.load offset=8 (local.get $at)))
        (local.set $imm (i32.load offset=12 (local.get $at)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (block $xor_shl (block $jnz (block $dec (block $add (block $set
          (br_table $set $add $dec $jnz $xor_shl $halt (i32.load (local.get $at))))
          ;; set: r[a] = imm
          (i64.store (call $reg (local.get $a)) (i64.extend_i32_s (local.get $imm)))
          (br $dispatch))
          ;; add: r[a] += r[b]
          (i64.store (call $reg (local.get $a))
            (i64.add (i64.load (call $reg (local.get $a))) (i64.load (call $reg (local.get $b)))))
          (br $dispatch))
          ;; dec: r[a] -= 1
          (i64.store (call $reg (local.get $a)) (i64.sub (i64.load (call $reg (local.get $a))) (i64.const 1)))
          (br $dispatch))
          ;; jnz: if r[a] != 0 goto imm
          (if (i64.ne (i64.load (call $reg (local.get $a))) (i64.const 0))
            (then (local.set $pc (local.get $imm))))
          (br $dispatch))
        ;; xor_shl: r[a] = r[b] ^ (r[imm] << 1)
        (i64.store (call $reg (local.get $a))
          (i64.xor (i64.load (call $reg (local.get $b)))
                   (i64.shl (i64.load (call $reg (local.get $imm))) (i64.const 1))))
        (br $dispatch)))
    (i64.add (i64.load (call $reg (i32.const 1))) (i64.load (call $reg (i32.const 2))))))
