;; A counting loop: the comparison and br_if fuse into one compare-and-branch.
(module
  (func (param i32) (result i32) (local i32)
    (block
      (loop
        (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br 0)))
    (local.get 1))
  (func (param i32) (result i32 i32)
    (block (result i32 i32)
      (br_table 0 1 0 (i32.const 50) (i32.const 51) (local.get 0)))))
