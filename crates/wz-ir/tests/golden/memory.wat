;; Memory accesses and the address computations fused into them.
(module
  (memory 1)
  ;; base + index with offset 0: fused (*.sum).
  (func (param i32 i32) (result i32)
    (i32.load (i32.add (local.get 0) (local.get 1))))
  (func (param i32) (result f64)
    (f64.load (i32.add (local.get 0) (i32.const 1200))))
  (func (param i32 i32) (result i64)
    (i64.load8_u (i32.add (local.get 0) (local.get 1))))
  (func (param i32 i32 i32)
    (i32.store8 (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  ;; A non-zero offset keeps the add.
  (func (param i32 i32) (result i32)
    (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))
  ;; index << log2(width): fused (*.scaled), keeping the offset; a shift of 34 is one of 2.
  (func (param i32) (result i32)
    (i32.load offset=8 (i32.shl (local.get 0) (i32.const 2))))
  (func (param i32) (result i32)
    (i32.load (i32.shl (local.get 0) (i32.const 34))))
  (func (param i32 i64)
    (i64.store (i32.shl (local.get 0) (i32.const 3)) (local.get 1)))
  ;; A shift that does not match the width, or by a non-constant, stays.
  (func (param i32) (result i32)
    (i32.load (i32.shl (local.get 0) (i32.const 3))))
  (func (param i32 i32) (result i32)
    (i32.load (i32.shl (local.get 0) (local.get 1))))
  ;; The value computed after the address: the add is not the last instruction, so it stays.
  (func (param i32 i32)
    (i32.store (i32.add (local.get 0) (i32.const 16)) (i32.mul (local.get 1) (local.get 1))))
  ;; The address sum is also kept in a local: not fused (local.tee writes it).
  (func (param i32 i32) (result i32) (local i32)
    (i32.load (local.tee 2 (i32.add (local.get 0) (local.get 1)))))
  ;; i32.eqz feeding br_if becomes the opposite test of the operand.
  (func (param i32) (result i32)
    (block (br_if 0 (i32.eqz (local.get 0))) (return (i32.const 1)))
    (i32.const 0)))
