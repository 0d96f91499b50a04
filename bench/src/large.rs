//! A generated module with many functions, for compile time: each function mixes integer
//! and float arithmetic, a loop, a branch, memory accesses and calls to its neighbours, so
//! every part of a compiler gets work.

/// A module of `functions` functions (about 250 bytes of code each).
pub fn module(functions: u32) -> Vec<u8> {
    let mut wat = String::from("(module (memory 1)\n");
    for i in 0..functions {
        let next = (i + 1) % functions;
        let other = (i * 7 + 3) % functions;
        wat.push_str(&format!(
            r#"(func $f{i} (param $a i32) (param $b i32) (result i32)
  (local $i i32) (local $acc i32) (local $x f64)
  (local.set $acc (i32.xor (local.get $a) (i32.const {i})))
  (block $done
    (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.and (local.get $b) (i32.const 15))))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
      (local.set $x (f64.add (local.get $x) (f64.convert_i32_s (local.get $acc))))
      (i32.store (i32.and (local.get $acc) (i32.const 1020)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  (if (i32.gt_s (local.get $acc) (i32.const {i}))
    (then (local.set $acc (i32.rotl (local.get $acc) (i32.const 7))))
    (else (local.set $acc (i32.load (i32.and (local.get $b) (i32.const 1020))))))
  (if (i32.eqz (i32.and (local.get $b) (i32.const 255)))
    (then (local.set $acc (i32.add (local.get $acc)
      (call $f{next} (local.get $acc) (i32.shr_u (local.get $b) (i32.const 8)))))))
  (if (i32.eq (local.get $a) (i32.const -{i}))
    (then (local.set $acc (call $f{other} (local.get $b) (i32.const 0)))))
  (i32.add (local.get $acc) (i32.trunc_sat_f64_s (local.get $x))))
"#
        ));
    }
    wat.push_str(r#"(export "f0" (func $f0)))"#);
    wat::parse_str(&wat).expect("generated module parses")
}
