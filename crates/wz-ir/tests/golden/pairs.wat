;; Adjacent arithmetic pairs fuse into one instruction whether the second reads the first's
;; result as its first operand, its second, both, or not at all.
(module
  (func (param f64 f64 f64) (result f64)
    (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
  (func (param f64 f64 f64) (result f64)
    (f64.sub (local.get 2) (f64.mul (local.get 0) (local.get 1))))
  (func (param f64 f64) (result f64) (local f64)
    (local.set 2 (f64.sub (local.get 0) (local.get 1)))
    (f64.mul (local.get 2) (local.get 2)))
  (func (param i32 i32 i32) (result i32) (local i32 i32)
    (local.set 3 (i32.rotl (local.get 0) (local.get 1)))
    (local.set 4 (i32.xor (local.get 2) (local.get 0)))
    (i32.add (local.get 3) (local.get 4))))
