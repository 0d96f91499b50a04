;; Constants fold into constant slots; local.set fuses into the producing instruction.
(module
  (func (param i32 i32) (result i32) (local i32)
    (local.set 2 (i32.add (local.get 0) (i32.const 10)))
    (i32.mul (local.get 2) (local.get 1))))
